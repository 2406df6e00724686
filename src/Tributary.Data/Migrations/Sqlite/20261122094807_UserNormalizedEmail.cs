using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class UserNormalizedEmail : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_fs_users_linked_account_id_email_address",
                table: "fs_users");

            migrationBuilder.AddColumn<string>(
                name: "normalized_email_address",
                table: "fs_users",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            // Rows synced before this column existed; new writes are lowered in .NET (StoredUser.EmailAddress).
            migrationBuilder.Sql("UPDATE fs_users SET normalized_email_address = lower(email_address) WHERE email_address IS NOT NULL;");

            migrationBuilder.CreateIndex(
                name: "IX_fs_users_linked_account_id_normalized_email_address",
                table: "fs_users",
                columns: new[] { "linked_account_id", "normalized_email_address" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_fs_users_linked_account_id_normalized_email_address",
                table: "fs_users");

            migrationBuilder.DropColumn(
                name: "normalized_email_address",
                table: "fs_users");

            migrationBuilder.CreateIndex(
                name: "IX_fs_users_linked_account_id_email_address",
                table: "fs_users",
                columns: new[] { "linked_account_id", "email_address" });
        }
    }
}
