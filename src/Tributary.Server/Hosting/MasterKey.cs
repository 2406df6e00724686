using System.Security.Cryptography;
using System.Text;

namespace Tributary.Server.Hosting;

/// <summary>
/// The root secret everything keyed derives from (cursor MACs now; the credential vault's key ring
/// later). It lives outside the database: configuration, or a key file beside the SQLite database.
/// </summary>
internal sealed class MasterKey
{
    private readonly byte[] _key;

    public MasterKey(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("The master key must be exactly 32 bytes.", nameof(key));
        }
        _key = key;
    }

    public byte[] Derive(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, 32, salt: [], info: Encoding.UTF8.GetBytes(purpose));

    /// <summary>Decodes the configured key, or reads (creating on first start) the data directory's key file.</summary>
    public static MasterKey Load(string? configured, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new MasterKey(Convert.FromBase64String(configured));
        }
        var path = Path.Combine(dataDirectory, "master.key");
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(dataDirectory);
            var fresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            try
            {
                using var writer = new StreamWriter(path, Encoding.ASCII, options);
                writer.Write(fresh);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first; use theirs.
            }
        }
        return new MasterKey(Convert.FromBase64String(File.ReadAllText(path).Trim()));
    }
}
