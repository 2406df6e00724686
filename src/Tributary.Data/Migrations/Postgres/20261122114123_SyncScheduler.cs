using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Postgres
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
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "data_fresh_as_of",
                table: "sync_states",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "full_read_generation",
                table: "sync_states",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<DateTime>(
                name: "last_full_read_finished",
                table: "sync_states",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "next_sync_start",
                table: "sync_states",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "sync_status_reason",
                table: "sync_states",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_users",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_groups",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_folders",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_files",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "seen_in_full_read",
                table: "fs_drives",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "leases",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    holder = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    expires_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_leases", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "sync_frequencies",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    organization_id = table.Column<Guid>(type: "uuid", nullable: false),
                    integration_slug = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    linked_account_id = table.Column<Guid>(type: "uuid", nullable: true),
                    interval_minutes = table.Column<int>(type: "integer", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
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
                name: "IX_sync_frequencies_organization_id_integration_slug_linked_ac~",
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
