using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Linking : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "common_model_scopes_json",
                table: "linked_accounts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "credentials",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    secret = table.Column<byte[]>(type: "BLOB", nullable: false),
                    vault_key_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    access_token_expires_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_credentials", x => x.id);
                    table.ForeignKey(
                        name: "FK_credentials_linked_accounts_linked_account_id",
                        column: x => x.linked_account_id,
                        principalTable: "linked_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "issues",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    environment = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    error_description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    error_details_json = table.Column<string>(type: "TEXT", nullable: false),
                    first_incident_time = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_incident_time = table.Column<DateTime>(type: "TEXT", nullable: false),
                    is_muted = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_issues", x => x.id);
                    table.ForeignKey(
                        name: "FK_issues_linked_accounts_linked_account_id",
                        column: x => x.linked_account_id,
                        principalTable: "linked_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "link_sessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    environment = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    link_token_hash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    end_user_email_address = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    end_user_organization_name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    end_user_origin_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    categories = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    integration = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    is_magic_link = table.Column<bool>(type: "INTEGER", nullable: false),
                    hide_admin_magic_link = table.Column<bool>(type: "INTEGER", nullable: false),
                    language = table.Column<string>(type: "TEXT", maxLength: 2, nullable: false),
                    scopes_json = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    expires_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    public_token_hash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: true),
                    public_token_expires_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    completed_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_link_sessions", x => x.id);
                    table.ForeignKey(
                        name: "FK_link_sessions_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "oauth_apps",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    integration_slug = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    client_id = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    client_secret = table.Column<byte[]>(type: "BLOB", nullable: false),
                    vault_key_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    scopes = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_oauth_apps", x => x.id);
                    table.ForeignKey(
                        name: "FK_oauth_apps_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "vault_keys",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    wrapped_key = table.Column<byte[]>(type: "BLOB", maxLength: 64, nullable: false),
                    is_primary = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    retired_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_vault_keys", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_credentials_linked_account_id",
                table: "credentials",
                column: "linked_account_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_credentials_vault_key_id",
                table: "credentials",
                column: "vault_key_id");

            migrationBuilder.CreateIndex(
                name: "IX_issues_linked_account_id_status",
                table: "issues",
                columns: new[] { "linked_account_id", "status" });

            migrationBuilder.CreateIndex(
                name: "IX_issues_organization_id_first_incident_time_id",
                table: "issues",
                columns: new[] { "organization_id", "first_incident_time", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_link_sessions_expires_at",
                table: "link_sessions",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "IX_link_sessions_link_token_hash",
                table: "link_sessions",
                column: "link_token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_link_sessions_organization_id",
                table: "link_sessions",
                column: "organization_id");

            migrationBuilder.CreateIndex(
                name: "IX_link_sessions_public_token_hash",
                table: "link_sessions",
                column: "public_token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_oauth_apps_organization_id_integration_slug",
                table: "oauth_apps",
                columns: new[] { "organization_id", "integration_slug" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_oauth_apps_vault_key_id",
                table: "oauth_apps",
                column: "vault_key_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "credentials");

            migrationBuilder.DropTable(
                name: "issues");

            migrationBuilder.DropTable(
                name: "link_sessions");

            migrationBuilder.DropTable(
                name: "oauth_apps");

            migrationBuilder.DropTable(
                name: "vault_keys");

            migrationBuilder.DropColumn(
                name: "common_model_scopes_json",
                table: "linked_accounts");
        }
    }
}
