using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ListJson : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "list_json",
                table: "fs_users",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "list_json",
                table: "fs_groups",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "list_json",
                table: "fs_folders",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "list_json",
                table: "fs_files",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "list_json",
                table: "fs_drives",
                type: "BLOB",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "list_json",
                table: "fs_users");

            migrationBuilder.DropColumn(
                name: "list_json",
                table: "fs_groups");

            migrationBuilder.DropColumn(
                name: "list_json",
                table: "fs_folders");

            migrationBuilder.DropColumn(
                name: "list_json",
                table: "fs_files");

            migrationBuilder.DropColumn(
                name: "list_json",
                table: "fs_drives");
        }
    }
}
