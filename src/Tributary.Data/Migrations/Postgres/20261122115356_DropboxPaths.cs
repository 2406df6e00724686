using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class DropboxPaths : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "remote_path",
                table: "fs_folders",
                type: "character varying(600)",
                maxLength: 600,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "remote_path",
                table: "fs_files",
                type: "character varying(600)",
                maxLength: 600,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_fs_folders_linked_account_id_remote_path",
                table: "fs_folders",
                columns: new[] { "linked_account_id", "remote_path" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_files_linked_account_id_remote_path",
                table: "fs_files",
                columns: new[] { "linked_account_id", "remote_path" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_fs_folders_linked_account_id_remote_path",
                table: "fs_folders");

            migrationBuilder.DropIndex(
                name: "IX_fs_files_linked_account_id_remote_path",
                table: "fs_files");

            migrationBuilder.DropColumn(
                name: "remote_path",
                table: "fs_folders");

            migrationBuilder.DropColumn(
                name: "remote_path",
                table: "fs_files");
        }
    }
}
