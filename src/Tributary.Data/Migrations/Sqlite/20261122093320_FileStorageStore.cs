using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Tributary.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FileStorageStore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "fs_drives",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    drive_url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    remote_created_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    remote_id = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    remote_was_deleted = table.Column<bool>(type: "INTEGER", nullable: false),
                    remote_data_json = table.Column<string>(type: "TEXT", nullable: true),
                    fingerprint = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    modified_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_fs_drives", x => x.id);
                    table.ForeignKey(
                        name: "FK_fs_drives_linked_accounts_linked_account_id",
                        column: x => x.linked_account_id,
                        principalTable: "linked_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "fs_files",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    file_url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    file_thumbnail_url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    size = table.Column<long>(type: "INTEGER", nullable: true),
                    mime_type = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    description = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    folder_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    drive_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    checksum_json = table.Column<string>(type: "TEXT", nullable: true),
                    permissions_json = table.Column<string>(type: "TEXT", nullable: false),
                    remote_created_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    remote_updated_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    remote_id = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    remote_was_deleted = table.Column<bool>(type: "INTEGER", nullable: false),
                    remote_data_json = table.Column<string>(type: "TEXT", nullable: true),
                    fingerprint = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    modified_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_fs_files", x => x.id);
                    table.ForeignKey(
                        name: "FK_fs_files_linked_accounts_linked_account_id",
                        column: x => x.linked_account_id,
                        principalTable: "linked_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "fs_folders",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    folder_url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    size = table.Column<long>(type: "INTEGER", nullable: true),
                    description = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    parent_folder_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    drive_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    permissions_json = table.Column<string>(type: "TEXT", nullable: false),
                    remote_created_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    remote_updated_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    remote_id = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    remote_was_deleted = table.Column<bool>(type: "INTEGER", nullable: false),
                    remote_data_json = table.Column<string>(type: "TEXT", nullable: true),
                    fingerprint = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    modified_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_fs_folders", x => x.id);
                    table.ForeignKey(
                        name: "FK_fs_folders_linked_accounts_linked_account_id",
                        column: x => x.linked_account_id,
                        principalTable: "linked_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "fs_groups",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    users_json = table.Column<string>(type: "TEXT", nullable: false),
                    child_groups_json = table.Column<string>(type: "TEXT", nullable: false),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    remote_id = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    remote_was_deleted = table.Column<bool>(type: "INTEGER", nullable: false),
                    remote_data_json = table.Column<string>(type: "TEXT", nullable: true),
                    fingerprint = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    modified_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_fs_groups", x => x.id);
                    table.ForeignKey(
                        name: "FK_fs_groups_linked_accounts_linked_account_id",
                        column: x => x.linked_account_id,
                        principalTable: "linked_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "fs_users",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    email_address = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    is_me = table.Column<bool>(type: "INTEGER", nullable: false),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    remote_id = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    remote_was_deleted = table.Column<bool>(type: "INTEGER", nullable: false),
                    remote_data_json = table.Column<string>(type: "TEXT", nullable: true),
                    fingerprint = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    modified_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_fs_users", x => x.id);
                    table.ForeignKey(
                        name: "FK_fs_users_linked_accounts_linked_account_id",
                        column: x => x.linked_account_id,
                        principalTable: "linked_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "sync_states",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    linked_account_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    category = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    cursor = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    in_full_read = table.Column<bool>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    last_sync_start = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_sync_finished = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_sync_result = table.Column<string>(type: "TEXT", maxLength: 24, nullable: true),
                    initial_sync_done = table.Column<bool>(type: "INTEGER", nullable: false),
                    records_this_run = table.Column<long>(type: "INTEGER", nullable: false),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sync_states", x => x.id);
                    table.ForeignKey(
                        name: "FK_sync_states_linked_accounts_linked_account_id",
                        column: x => x.linked_account_id,
                        principalTable: "linked_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_fs_drives_linked_account_id_created_at_id",
                table: "fs_drives",
                columns: new[] { "linked_account_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_drives_linked_account_id_modified_at_id",
                table: "fs_drives",
                columns: new[] { "linked_account_id", "modified_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_files_linked_account_id_created_at_id",
                table: "fs_files",
                columns: new[] { "linked_account_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_files_linked_account_id_drive_id_created_at_id",
                table: "fs_files",
                columns: new[] { "linked_account_id", "drive_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_files_linked_account_id_folder_id_created_at_id",
                table: "fs_files",
                columns: new[] { "linked_account_id", "folder_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_files_linked_account_id_mime_type",
                table: "fs_files",
                columns: new[] { "linked_account_id", "mime_type" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_files_linked_account_id_modified_at_id",
                table: "fs_files",
                columns: new[] { "linked_account_id", "modified_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_files_linked_account_id_name",
                table: "fs_files",
                columns: new[] { "linked_account_id", "name" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_folders_linked_account_id_created_at_id",
                table: "fs_folders",
                columns: new[] { "linked_account_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_folders_linked_account_id_drive_id_created_at_id",
                table: "fs_folders",
                columns: new[] { "linked_account_id", "drive_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_folders_linked_account_id_modified_at_id",
                table: "fs_folders",
                columns: new[] { "linked_account_id", "modified_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_folders_linked_account_id_name",
                table: "fs_folders",
                columns: new[] { "linked_account_id", "name" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_folders_linked_account_id_parent_folder_id_created_at_id",
                table: "fs_folders",
                columns: new[] { "linked_account_id", "parent_folder_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_groups_linked_account_id_created_at_id",
                table: "fs_groups",
                columns: new[] { "linked_account_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_groups_linked_account_id_modified_at_id",
                table: "fs_groups",
                columns: new[] { "linked_account_id", "modified_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_users_linked_account_id_created_at_id",
                table: "fs_users",
                columns: new[] { "linked_account_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_users_linked_account_id_email_address",
                table: "fs_users",
                columns: new[] { "linked_account_id", "email_address" });

            migrationBuilder.CreateIndex(
                name: "IX_fs_users_linked_account_id_modified_at_id",
                table: "fs_users",
                columns: new[] { "linked_account_id", "modified_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_sync_states_linked_account_id_category",
                table: "sync_states",
                columns: new[] { "linked_account_id", "category" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "fs_drives");

            migrationBuilder.DropTable(
                name: "fs_files");

            migrationBuilder.DropTable(
                name: "fs_folders");

            migrationBuilder.DropTable(
                name: "fs_groups");

            migrationBuilder.DropTable(
                name: "fs_users");

            migrationBuilder.DropTable(
                name: "sync_states");
        }
    }
}
