using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Postgres
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
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "list_json",
                table: "fs_groups",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "list_json",
                table: "fs_folders",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "list_json",
                table: "fs_files",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "list_json",
                table: "fs_drives",
                type: "bytea",
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
