using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SyncScheduler : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "consecutive_failures",
                table: "sync_states",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "data_fresh_as_of",
                table: "sync_states",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "full_read_generation",
                table: "sync_states",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<DateTime>(
                name: "last_full_read_finished",
                table: "sync_states",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "next_sync_start",
                table: "sync_states",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "sync_status_reason",
                table: "sync_states",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_users",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_groups",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_folders",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_files",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_drives",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "leases",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    holder = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_leases", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "sync_frequencies",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    integration_slug = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    interval_minutes = table.Column<int>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sync_frequencies", x => x.id);
                    table.ForeignKey(
                        name: "FK_sync_frequencies_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_sync_frequencies_organization_id_integration_slug_linked_account_id",
                table: "sync_frequencies",
                columns: new[] { "organization_id", "integration_slug", "linked_account_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "leases");

            migrationBuilder.DropTable(
                name: "sync_frequencies");

            migrationBuilder.DropColumn(
                name: "consecutive_failures",
                table: "sync_states");

            migrationBuilder.DropColumn(
                name: "data_fresh_as_of",
                table: "sync_states");

            migrationBuilder.DropColumn(
                name: "full_read_generation",
                table: "sync_states");

            migrationBuilder.DropColumn(
                name: "last_full_read_finished",
                table: "sync_states");

            migrationBuilder.DropColumn(
                name: "next_sync_start",
                table: "sync_states");

            migrationBuilder.DropColumn(
                name: "sync_status_reason",
                table: "sync_states");

            migrationBuilder.DropColumn(
                name: "seen_in_full_read",
                table: "fs_users");

            migrationBuilder.DropColumn(
                name: "seen_in_full_read",
                table: "fs_groups");

            migrationBuilder.DropColumn(
                name: "seen_in_full_read",
                table: "fs_folders");

            migrationBuilder.DropColumn(
                name: "seen_in_full_read",
                table: "fs_files");

            migrationBuilder.DropColumn(
                name: "seen_in_full_read",
                table: "fs_drives");
        }
    }
}
