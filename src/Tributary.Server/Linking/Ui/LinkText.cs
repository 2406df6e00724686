using System.Collections.Frozen;
using System.Globalization;

namespace Tributary.Server.Linking.Ui;

/// <summary>
/// The Link UI's words in each language Merge's <c>language</c> field allows (en, de). A plain
/// dictionary per language: the UI is a handful of screens, and a missing key fails a test rather
/// than showing a resource name to an end user. Placeholders are <c>{0}</c>, <c>{1}</c>; values are
/// HTML-encoded by Razor when rendered.
/// </summary>
internal sealed class LinkText
{
    private static readonly FrozenDictionary<string, string> English = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["close"] = "Close",
        ["back"] = "Back",
        ["continue"] = "Continue",
        ["footer"] = "Secured by Tributary",
        ["footer.privacy"] = "Your credentials are encrypted and never shown to {0}.",
        ["picker.title"] = "Choose your app",
        ["picker.lead"] = "{0} uses Tributary to connect to your account. Choose where your data lives.",
        ["picker.search"] = "Search",
        ["picker.search.label"] = "Search integrations",
        ["picker.none"] = "No integration matches your search.",
        ["picker.relink"] = "You connected {0} before. Choose it again to reconnect.",
        ["picker.empty"] = "There is no integration to choose in this link. Ask {0} for help.",
        ["data.title"] = "{0} wants to access {1}",
        ["data.lead"] = "Connecting lets {0} use the following data from your {1} account:",
        ["data.read"] = "Read",
        ["data.readwrite"] = "Read and write",
        ["data.limited"] = "Some fields excluded",
        ["model.File"] = "Files",
        ["model.File.desc"] = "Names, sizes, types and sharing of your files",
        ["model.Folder"] = "Folders",
        ["model.Folder.desc"] = "Your folder structure",
        ["model.Drive"] = "Drives",
        ["model.Drive.desc"] = "Drives and shared spaces you can reach",
        ["model.User"] = "Users",
        ["model.User.desc"] = "Names and email addresses of people files are shared with",
        ["model.Group"] = "Groups",
        ["model.Group.desc"] = "Groups that files are shared with",
        ["model.other.desc"] = "Data of this type",
        ["oauth.title"] = "Log in to {0}",
        ["oauth.lead"] = "You'll sign in on {0}'s own page and approve access there. Your password is never shared with {1}.",
        ["oauth.button"] = "Continue to {0}",
        ["oauth.waiting"] = "A window opened so you can sign in to {0}. This page continues by itself when you're done.",
        ["oauth.reopen"] = "Open the sign-in window again",
        ["admin.link"] = "I'm not an admin of {0}",
        ["credentials.title"] = "Enter your {0} details",
        ["credentials.lead"] = "{1} checks these details with your {0} server before saving them.",
        ["credentials.button"] = "Connect",
        ["credentials.required"] = "This field is required.",
        ["credentials.url"] = "Enter a full address that starts with https:// or http://.",
        ["credentials.unauthorized"] = "The server rejected this username and password. Check them and try again.",
        ["credentials.forbidden"] = "The server accepted the login but denies access to this address. Check the URL and your permissions.",
        ["credentials.redirect"] = "The server redirects this address elsewhere. Try this URL instead: {0}",
        ["credentials.notdav"] = "The server at this address did not answer as a WebDAV server (HTTP {0}). Check the URL.",
        ["credentials.unreachable"] = "Could not reach a server at this address. Check the URL and try again.",
        ["credentials.summary"] = "Please correct the highlighted fields.",
        ["field.url"] = "Server URL",
        ["field.url.hint"] = "For example https://cloud.example.com/remote.php/dav/files/you/",
        ["field.username"] = "Username",
        ["field.username.hint"] = "",
        ["field.password"] = "Password",
        ["field.password.hint"] = "Use an app password if your server offers them.",
        ["sandbox.title"] = "Connect the Sandbox",
        ["sandbox.lead"] = "The Sandbox is a demo account with sample files, for trying {0} out. No real account is needed.",
        ["sandbox.button"] = "Connect Sandbox",
        ["notconfigured.title"] = "{0} isn't set up yet",
        ["notconfigured.lead"] = "{1} hasn't registered an app with {0}, so {0} can't be connected right now. Please ask {1} to register an OAuth app for {0}.",
        ["admin.title"] = "Ask an admin to connect {0}",
        ["admin.lead"] = "Connecting {0} may need an administrator's approval. Send this link to your {0} admin: they can finish connecting for {1}.",
        ["admin.linklabel"] = "Link for your admin",
        ["admin.copy"] = "Copy link",
        ["admin.copied"] = "Copied",
        ["admin.expires"] = "The link works until {0}.",
        ["admin.hidden"] = "Connecting {0} may need an administrator's approval. Please ask your {0} admin, or ask {1} for help.",
        ["admin.back"] = "I'm an admin, go back",
        ["done.title"] = "{0} is connected",
        ["done.lead"] = "{1} can now use your {0} data.",
        ["done.close"] = "You can close this page.",
        ["callback.lead"] = "Return to {0} to continue.",
        ["callback.open"] = "Open app",
        ["done.popup"] = "You can close this window and return to {0}.",
        ["done.embed"] = "You can go back to {0} now.",
        ["done.button"] = "Done",
        ["exit.button"] = "Cancel",
        ["exit.title"] = "Nothing was connected",
        ["exit.lead"] = "You left without connecting an account. To try again, ask {0} for a new link.",
        ["problem.unknown.title"] = "This link doesn't work",
        ["problem.unknown.lead"] = "The link is incomplete or was never valid. Check that you copied all of it, or ask for a new one.",
        ["problem.expired.title"] = "This link has expired",
        ["problem.expired.lead"] = "Links to connect an account stay valid for a limited time. Please ask {0} for a new link.",
        ["problem.used.title"] = "This link was already used",
        ["problem.used.lead"] = "Each link connects an account once. To connect again, please ask {0} for a new link.",
        ["problem.integration.title"] = "This app isn't available here",
        ["problem.integration.lead"] = "This link doesn't offer that app. Go back and choose another one.",
        ["problem.state.title"] = "This sign-in can't be completed",
        ["problem.state.lead"] = "The answer from the sign-in page doesn't belong to a sign-in in progress, or it was already used. Start again from the page where you began.",
        ["problem.denied.title"] = "Access wasn't granted",
        ["problem.denied.lead"] = "{0} didn't grant access, so nothing was connected. You can try again.",
        ["problem.exchange.title"] = "{0} didn't complete the sign-in",
        ["problem.exchange.lead"] = "{0} did not accept the sign-in, so nothing was connected. Please try again; if it keeps failing, ask {1} for help.",
        ["problem.csrf.title"] = "Please try again",
        ["problem.csrf.lead"] = "This form has expired or didn't come from this page. Go back, reload the page and send it again.",
        ["problem.error.title"] = "Something went wrong",
        ["problem.error.lead"] = "An unexpected error occurred. Please try again later.",
        ["retry"] = "Try again",
        ["magic.title"] = "{0} asks you to connect {1}",
        ["magic.lead"] = "This link was created for {0} at {1}.",
        ["magic.expires"] = "It works until {0}. Nothing happens until you continue.",
        ["magic.notyou"] = "Not you? Just close this page.",
        ["magic.your.filestorage"] = "your file storage",
        ["magic.your.other"] = "an account",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> German = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["close"] = "Schließen",
        ["back"] = "Zurück",
        ["continue"] = "Weiter",
        ["footer"] = "Gesichert durch Tributary",
        ["footer.privacy"] = "Ihre Zugangsdaten werden verschlüsselt gespeichert und {0} nie angezeigt.",
        ["picker.title"] = "Wählen Sie Ihre App",
        ["picker.lead"] = "{0} nutzt Tributary, um sich mit Ihrem Konto zu verbinden. Wählen Sie, wo Ihre Daten liegen.",
        ["picker.search"] = "Suchen",
        ["picker.search.label"] = "Integrationen durchsuchen",
        ["picker.none"] = "Keine Integration passt zu Ihrer Suche.",
        ["picker.relink"] = "Sie haben {0} schon einmal verbunden. Wählen Sie es erneut, um die Verbindung zu erneuern.",
        ["picker.empty"] = "Dieser Link bietet keine Integration zur Auswahl. Bitte wenden Sie sich an {0}.",
        ["data.title"] = "{0} möchte auf {1} zugreifen",
        ["data.lead"] = "Mit der Verbindung kann {0} folgende Daten aus Ihrem {1}-Konto verwenden:",
        ["data.read"] = "Lesen",
        ["data.readwrite"] = "Lesen und schreiben",
        ["data.limited"] = "Einige Felder ausgenommen",
        ["model.File"] = "Dateien",
        ["model.File.desc"] = "Namen, Größen, Typen und Freigaben Ihrer Dateien",
        ["model.Folder"] = "Ordner",
        ["model.Folder.desc"] = "Ihre Ordnerstruktur",
        ["model.Drive"] = "Laufwerke",
        ["model.Drive.desc"] = "Laufwerke und geteilte Bereiche, auf die Sie zugreifen können",
        ["model.User"] = "Benutzer",
        ["model.User.desc"] = "Namen und E-Mail-Adressen der Personen, mit denen Dateien geteilt sind",
        ["model.Group"] = "Gruppen",
        ["model.Group.desc"] = "Gruppen, mit denen Dateien geteilt sind",
        ["model.other.desc"] = "Daten dieses Typs",
        ["oauth.title"] = "Bei {0} anmelden",
        ["oauth.lead"] = "Sie melden sich auf der Seite von {0} an und bestätigen dort den Zugriff. Ihr Passwort erhält {1} nie.",
        ["oauth.button"] = "Weiter zu {0}",
        ["oauth.waiting"] = "Ein Fenster zur Anmeldung bei {0} wurde geöffnet. Diese Seite geht von selbst weiter, sobald Sie fertig sind.",
        ["oauth.reopen"] = "Anmeldefenster erneut öffnen",
        ["admin.link"] = "Ich bin kein Admin von {0}",
        ["credentials.title"] = "Ihre {0}-Zugangsdaten",
        ["credentials.lead"] = "{1} prüft diese Angaben bei Ihrem {0}-Server, bevor sie gespeichert werden.",
        ["credentials.button"] = "Verbinden",
        ["credentials.required"] = "Dieses Feld ist erforderlich.",
        ["credentials.url"] = "Geben Sie eine vollständige Adresse ein, die mit https:// oder http:// beginnt.",
        ["credentials.unauthorized"] = "Der Server hat Benutzername und Passwort abgelehnt. Bitte prüfen Sie die Angaben und versuchen Sie es erneut.",
        ["credentials.forbidden"] = "Der Server hat die Anmeldung akzeptiert, verweigert aber den Zugriff auf diese Adresse. Prüfen Sie die URL und Ihre Berechtigungen.",
        ["credentials.redirect"] = "Der Server leitet diese Adresse weiter. Versuchen Sie stattdessen diese URL: {0}",
        ["credentials.notdav"] = "Der Server unter dieser Adresse antwortet nicht wie ein WebDAV-Server (HTTP {0}). Bitte prüfen Sie die URL.",
        ["credentials.unreachable"] = "Unter dieser Adresse ist kein Server erreichbar. Bitte prüfen Sie die URL und versuchen Sie es erneut.",
        ["credentials.summary"] = "Bitte korrigieren Sie die markierten Felder.",
        ["field.url"] = "Server-URL",
        ["field.url.hint"] = "Zum Beispiel https://cloud.example.com/remote.php/dav/files/sie/",
        ["field.username"] = "Benutzername",
        ["field.username.hint"] = "",
        ["field.password"] = "Passwort",
        ["field.password.hint"] = "Verwenden Sie ein App-Passwort, wenn Ihr Server das anbietet.",
        ["sandbox.title"] = "Sandbox verbinden",
        ["sandbox.lead"] = "Die Sandbox ist ein Demo-Konto mit Beispieldateien, um {0} auszuprobieren. Ein echtes Konto ist nicht nötig.",
        ["sandbox.button"] = "Sandbox verbinden",
        ["notconfigured.title"] = "{0} ist noch nicht eingerichtet",
        ["notconfigured.lead"] = "{1} hat noch keine App bei {0} registriert, daher kann {0} gerade nicht verbunden werden. Bitten Sie {1}, eine OAuth-App für {0} zu registrieren.",
        ["admin.title"] = "Einen Admin bitten, {0} zu verbinden",
        ["admin.lead"] = "Für die Verbindung mit {0} ist eventuell die Zustimmung eines Administrators nötig. Senden Sie diesen Link an Ihren {0}-Admin: Er kann die Verbindung für {1} abschließen.",
        ["admin.linklabel"] = "Link für Ihren Admin",
        ["admin.copy"] = "Link kopieren",
        ["admin.copied"] = "Kopiert",
        ["admin.expires"] = "Der Link ist gültig bis {0}.",
        ["admin.hidden"] = "Für die Verbindung mit {0} ist eventuell die Zustimmung eines Administrators nötig. Bitte fragen Sie Ihren {0}-Admin oder wenden Sie sich an {1}.",
        ["admin.back"] = "Ich bin Admin, zurück",
        ["done.title"] = "{0} ist verbunden",
        ["done.lead"] = "{1} kann jetzt Ihre {0}-Daten verwenden.",
        ["done.close"] = "Sie können diese Seite schließen.",
        ["callback.lead"] = "Kehren Sie zu {0} zurück, um fortzufahren.",
        ["callback.open"] = "App öffnen",
        ["done.popup"] = "Sie können dieses Fenster schließen und zu {0} zurückkehren.",
        ["done.embed"] = "Sie können jetzt zu {0} zurückkehren.",
        ["done.button"] = "Fertig",
        ["exit.button"] = "Abbrechen",
        ["exit.title"] = "Es wurde nichts verbunden",
        ["exit.lead"] = "Sie haben den Vorgang ohne Verbindung beendet. Für einen neuen Versuch bitten Sie {0} um einen neuen Link.",
        ["problem.unknown.title"] = "Dieser Link funktioniert nicht",
        ["problem.unknown.lead"] = "Der Link ist unvollständig oder war nie gültig. Prüfen Sie, ob Sie ihn vollständig kopiert haben, oder fordern Sie einen neuen an.",
        ["problem.expired.title"] = "Dieser Link ist abgelaufen",
        ["problem.expired.lead"] = "Links zum Verbinden eines Kontos sind nur begrenzt gültig. Bitte fordern Sie bei {0} einen neuen Link an.",
        ["problem.used.title"] = "Dieser Link wurde bereits verwendet",
        ["problem.used.lead"] = "Jeder Link verbindet ein Konto nur einmal. Für eine neue Verbindung fordern Sie bitte bei {0} einen neuen Link an.",
        ["problem.integration.title"] = "Diese App ist hier nicht verfügbar",
        ["problem.integration.lead"] = "Dieser Link bietet diese App nicht an. Gehen Sie zurück und wählen Sie eine andere.",
        ["problem.state.title"] = "Diese Anmeldung kann nicht abgeschlossen werden",
        ["problem.state.lead"] = "Die Antwort der Anmeldeseite gehört zu keiner laufenden Anmeldung oder wurde bereits verwendet. Beginnen Sie erneut auf der Seite, von der Sie gekommen sind.",
        ["problem.denied.title"] = "Der Zugriff wurde nicht gewährt",
        ["problem.denied.lead"] = "{0} hat den Zugriff nicht gewährt, daher wurde nichts verbunden. Sie können es erneut versuchen.",
        ["problem.exchange.title"] = "{0} hat die Anmeldung nicht abgeschlossen",
        ["problem.exchange.lead"] = "{0} hat die Anmeldung nicht akzeptiert, daher wurde nichts verbunden. Bitte versuchen Sie es erneut; wenn es weiter fehlschlägt, wenden Sie sich an {1}.",
        ["problem.csrf.title"] = "Bitte versuchen Sie es erneut",
        ["problem.csrf.lead"] = "Dieses Formular ist abgelaufen oder stammt nicht von dieser Seite. Gehen Sie zurück, laden Sie die Seite neu und senden Sie es erneut.",
        ["problem.error.title"] = "Etwas ist schiefgelaufen",
        ["problem.error.lead"] = "Ein unerwarteter Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
        ["retry"] = "Erneut versuchen",
        ["magic.title"] = "{0} bittet Sie, {1} zu verbinden",
        ["magic.lead"] = "Dieser Link wurde für {0} bei {1} erstellt.",
        ["magic.expires"] = "Er ist gültig bis {0}. Erst wenn Sie fortfahren, passiert etwas.",
        ["magic.notyou"] = "Nicht Sie? Schließen Sie einfach diese Seite.",
        ["magic.your.filestorage"] = "Ihren Dateispeicher",
        ["magic.your.other"] = "ein Konto",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly LinkText EnglishText = new("en", English);
    private static readonly LinkText GermanText = new("de", German);
    private readonly FrozenDictionary<string, string> _strings;

    private LinkText(string language, FrozenDictionary<string, string> strings)
    {
        Language = language;
        _strings = strings;
    }

    /// <summary>The IETF tag of this language, for the <c>lang</c> attribute.</summary>
    public string Language { get; }

    /// <summary>Every key and its text, for the completeness test.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> All => new Dictionary<string, IReadOnlyDictionary<string, string>>
    {
        ["en"] = English,
        ["de"] = German,
    };

    public string this[string key] => _strings.TryGetValue(key, out var text) ? text
        : throw new KeyNotFoundException($"The Link UI has no '{Language}' text for '{key}'.");

    public string this[string key, params object?[] args] => string.Format(CultureInfo.InvariantCulture, this[key], args);

    /// <summary>The text of <paramref name="key"/> if there is one (e.g. optional field hints).</summary>
    public string? Optional(string key) => _strings.TryGetValue(key, out var text) && text.Length > 0 ? text : null;

    /// <summary>A UTC timestamp as end users read it, e.g. "2026-01-15 12:30 UTC".</summary>
    public static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static LinkText For(string? language) => language switch
    {
        "de" => GermanText,
        _ => EnglishText,
    };

    /// <summary>The best language for a request with no session (an unknown token): its Accept-Language, else English.</summary>
    public static LinkText ForRequest(HttpRequest request)
    {
        foreach (var value in request.GetTypedHeaders().AcceptLanguage.OrderByDescending(v => v.Quality ?? 1))
        {
            var tag = value.Value.Value;
            if (tag is null)
            {
                continue;
            }
            if (tag.StartsWith("de", StringComparison.OrdinalIgnoreCase))
            {
                return GermanText;
            }
            if (tag.StartsWith("en", StringComparison.OrdinalIgnoreCase))
            {
                return EnglishText;
            }
        }
        return EnglishText;
    }
}
