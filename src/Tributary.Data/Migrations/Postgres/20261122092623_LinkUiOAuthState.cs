using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LinkUiOAuthState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "o_auth_code_verifier",
                table: "link_sessions",
                type: "bytea",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "o_auth_in_popup",
                table: "link_sessions",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "o_auth_integration",
                table: "link_sessions",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "o_auth_started_at",
                table: "link_sessions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "o_auth_state_hash",
                table: "link_sessions",
                type: "bytea",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_link_sessions_o_auth_state_hash",
                table: "link_sessions",
                column: "o_auth_state_hash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_link_sessions_o_auth_state_hash",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "o_auth_code_verifier",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "o_auth_in_popup",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "o_auth_integration",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "o_auth_started_at",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "o_auth_state_hash",
                table: "link_sessions");
        }
    }
}
