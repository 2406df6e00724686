using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AgentHandler : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "agent_auth_scope",
                table: "linked_accounts",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "registered_user_id",
                table: "linked_accounts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "shared_credential_group",
                table: "linked_accounts",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "agent_auth_scope",
                table: "link_sessions",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "authorization_code_expires_at",
                table: "link_sessions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "authorization_code_hash",
                table: "link_sessions",
                type: "BLOB",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "callback_state",
                table: "link_sessions",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "callback_url",
                table: "link_sessions",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "pending_credential",
                table: "link_sessions",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "registered_user_id",
                table: "link_sessions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "shared_credential_group",
                table: "link_sessions",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "allowed_callback_origins",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    origin = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_allowed_callback_origins", x => x.id);
                    table.ForeignKey(
                        name: "FK_allowed_callback_origins_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "registered_users",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    environment = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    origin_user_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    origin_user_name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    origin_user_email = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    origin_company_id = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    origin_company_name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    custom_groupings_json = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    user_type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    modified_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_registered_users", x => x.id);
                    table.ForeignKey(
                        name: "FK_registered_users_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "tool_call_logs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    environment = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    tool_pack_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    registered_user_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tool_name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    connector_slug = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    tool_args = table.Column<string>(type: "TEXT", nullable: false),
                    result = table.Column<string>(type: "TEXT", nullable: true),
                    headers = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    error_reason = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    client_trace_id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    started_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    duration_ms = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tool_call_logs", x => x.id);
                    table.ForeignKey(
                        name: "FK_tool_call_logs_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "tool_packs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    modified_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tool_packs", x => x.id);
                    table.ForeignKey(
                        name: "FK_tool_packs_organizations_organization_id",
                        column: x => x.organization_id,
                        principalTable: "organizations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "tool_pack_connectors",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    organization_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tool_pack_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    connector_slug = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    auth_scope = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    tool_names_json = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tool_pack_connectors", x => x.id);
                    table.ForeignKey(
                        name: "FK_tool_pack_connectors_tool_packs_tool_pack_id",
                        column: x => x.tool_pack_id,
                        principalTable: "tool_packs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_linked_accounts_organization_id_agent_auth_scope_integration_slug",
                table: "linked_accounts",
                columns: new[] { "organization_id", "agent_auth_scope", "integration_slug" });

            migrationBuilder.CreateIndex(
                name: "IX_linked_accounts_registered_user_id_integration_slug",
                table: "linked_accounts",
                columns: new[] { "registered_user_id", "integration_slug" });

            migrationBuilder.CreateIndex(
                name: "IX_link_sessions_authorization_code_hash",
                table: "link_sessions",
                column: "authorization_code_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_link_sessions_registered_user_id",
                table: "link_sessions",
                column: "registered_user_id");

            migrationBuilder.CreateIndex(
                name: "IX_allowed_callback_origins_organization_id_origin",
                table: "allowed_callback_origins",
                columns: new[] { "organization_id", "origin" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_registered_users_organization_id_created_at_id",
                table: "registered_users",
                columns: new[] { "organization_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_registered_users_organization_id_environment_origin_user_id",
                table: "registered_users",
                columns: new[] { "organization_id", "environment", "origin_user_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_tool_call_logs_organization_id_started_at_id",
                table: "tool_call_logs",
                columns: new[] { "organization_id", "started_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_tool_call_logs_registered_user_id_started_at",
                table: "tool_call_logs",
                columns: new[] { "registered_user_id", "started_at" });

            migrationBuilder.CreateIndex(
                name: "IX_tool_pack_connectors_tool_pack_id_connector_slug",
                table: "tool_pack_connectors",
                columns: new[] { "tool_pack_id", "connector_slug" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_tool_packs_organization_id_created_at_id",
                table: "tool_packs",
                columns: new[] { "organization_id", "created_at", "id" });

            migrationBuilder.AddForeignKey(
                name: "FK_link_sessions_registered_users_registered_user_id",
                table: "link_sessions",
                column: "registered_user_id",
                principalTable: "registered_users",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "FK_linked_accounts_registered_users_registered_user_id",
                table: "linked_accounts",
                column: "registered_user_id",
                principalTable: "registered_users",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_link_sessions_registered_users_registered_user_id",
                table: "link_sessions");

            migrationBuilder.DropForeignKey(
                name: "FK_linked_accounts_registered_users_registered_user_id",
                table: "linked_accounts");

            migrationBuilder.DropTable(
                name: "allowed_callback_origins");

            migrationBuilder.DropTable(
                name: "registered_users");

            migrationBuilder.DropTable(
                name: "tool_call_logs");

            migrationBuilder.DropTable(
                name: "tool_pack_connectors");

            migrationBuilder.DropTable(
                name: "tool_packs");

            migrationBuilder.DropIndex(
                name: "IX_linked_accounts_organization_id_agent_auth_scope_integration_slug",
                table: "linked_accounts");

            migrationBuilder.DropIndex(
                name: "IX_linked_accounts_registered_user_id_integration_slug",
                table: "linked_accounts");

            migrationBuilder.DropIndex(
                name: "IX_link_sessions_authorization_code_hash",
                table: "link_sessions");

            migrationBuilder.DropIndex(
                name: "IX_link_sessions_registered_user_id",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "agent_auth_scope",
                table: "linked_accounts");

            migrationBuilder.DropColumn(
                name: "registered_user_id",
                table: "linked_accounts");

            migrationBuilder.DropColumn(
                name: "shared_credential_group",
                table: "linked_accounts");

            migrationBuilder.DropColumn(
                name: "agent_auth_scope",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "authorization_code_expires_at",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "authorization_code_hash",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "callback_state",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "callback_url",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "pending_credential",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "registered_user_id",
                table: "link_sessions");

            migrationBuilder.DropColumn(
                name: "shared_credential_group",
                table: "link_sessions");
        }
    }
}
