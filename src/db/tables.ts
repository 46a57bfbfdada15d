import type { ColumnType, Generated } from 'kysely';

/** Timestamps are read as text (see database.ts) and written as Date, string or SQL. */
export type Timestamp = ColumnType<string, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<string | null, Date | string | null | undefined, Date | string | null>;
type Json<T = unknown> = ColumnType<T, T | string | undefined, T | string>;
type Id = Generated<string>;

interface Base {
  pulp_id: Id;
  pulp_created: Timestamp;
  pulp_last_updated: Timestamp;
}

export interface AppStatusTable extends Base {
  name: string;
  app_type: 'api' | 'content' | 'worker';
  last_heartbeat: Timestamp;
  versions: Json<Record<string, string>>;
  pid: number | null;
  hostname: string | null;
  stopped_at: NullableTimestamp;
}

export interface TaskGroupTable extends Base {
  description: Generated<string>;
  all_tasks_dispatched: Generated<boolean>;
}

export type TaskState = 'waiting' | 'running' | 'completed' | 'failed' | 'canceled' | 'canceling';

export interface TaskTable extends Base {
  state: Generated<TaskState>;
  name: string;
  logging_cid: Generated<string>;
  args: Json<Record<string, unknown>>;
  unblocked_at: NullableTimestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  error: Json<Record<string, unknown> | null>;
  result: Json<unknown>;
  worker_id: string | null;
  parent_task_id: string | null;
  task_group_id: string | null;
  reserved_resources_record: Generated<string[]>;
  exclusive_resources: Generated<string[]>;
  shared_resources: Generated<string[]>;
  created_resources: Generated<string[]>;
  immediate: Generated<boolean>;
  deferred: Generated<boolean>;
  user_id: number | null;
  /** Dispatch order (0002_tasking): drawn under the resource locks, so conflicting tasks are ordered by it. */
  seq: number | null;
  /** Profilers requested by X-Task-Diagnostics (0100). */
  profile_options: string[] | null;
}

/** A file a task's profiler produced (0100; Pulp's ProfileArtifact). */
export interface ProfileArtifactTable extends Base {
  task_id: string;
  artifact_id: string;
  name: string;
}

/** Pulp's SigningService (0101). */
export interface SigningServiceTable extends Base {
  pulp_type: string;
  name: string;
  public_key: string;
  pubkey_fingerprint: string;
  script: string;
}

/** Pulp's TaskSchedule (0102). `dispatch_interval` is a PostgreSQL interval, read as text. */
export interface TaskScheduleTable extends Base {
  name: string;
  task_name: string;
  task_args: Json<Record<string, unknown>>;
  next_dispatch: NullableTimestamp;
  dispatch_interval: string | null;
  last_task_id: string | null;
}

/** Pulp's UpstreamPulp (0400): a Pulp to replicate from. */
export interface UpstreamPulpTable extends Base {
  name: string;
  base_url: string;
  api_root: Generated<string>;
  domain: string | null;
  ca_cert: string | null;
  client_cert: string | null;
  client_key: string | null;
  tls_validation: Generated<boolean>;
  username: string | null;
  password: string | null;
  q_select: string | null;
  policy: Generated<'all' | 'labeled' | 'nodelete'>;
  last_replication: NullableTimestamp;
}

/** One row per resource of an unfinished task (0002_tasking). */
export interface TaskReservationTable {
  task_id: string;
  resource: string;
  exclusive: boolean;
  seq: number;
}

export interface ProgressReportTable extends Base {
  task_id: string;
  message: string;
  code: string;
  state: Generated<string>;
  total: number | null;
  done: Generated<number>;
  suffix: string | null;
}

/** Progress of a task group as a whole (0120; Pulp's GroupProgressReport). */
export interface GroupProgressReportTable extends Base {
  task_group_id: string;
  message: string;
  code: string;
  total: number | null;
  done: Generated<number>;
  suffix: string | null;
}

export interface AuthUserTable {
  id: Generated<number>;
  username: string;
  password: Generated<string>;
  first_name: Generated<string>;
  last_name: Generated<string>;
  email: Generated<string>;
  is_staff: Generated<boolean>;
  is_active: Generated<boolean>;
  is_superuser: Generated<boolean>;
  date_joined: Timestamp;
  last_login: NullableTimestamp;
}

export interface ChecksumColumns {
  md5: string | null;
  sha1: string | null;
  sha224: string | null;
  sha256: string;
  sha384: string | null;
  sha512: string | null;
}

export interface ArtifactTable extends Base, ChecksumColumns {
  file: string;
  size: number;
  timestamp_of_interest: Timestamp;
}

export interface UploadTable extends Base {
  size: number;
  user_id: number | null;
}

export interface UploadChunkTable extends Base {
  upload_id: string;
  offset: number;
  size: number;
  file: string;
}

export interface ContentTable extends Base {
  pulp_type: string;
  pulp_labels: Json<Record<string, string | null>>;
  upstream_id: string | null;
  timestamp_of_interest: Timestamp;
}

export interface ContentArtifactTable extends Base {
  content_id: string;
  artifact_id: string | null;
  relative_path: string;
}

export interface RemoteTable extends Base {
  pulp_type: string;
  name: string;
  url: string;
  ca_cert: string | null;
  client_cert: string | null;
  client_key: string | null;
  tls_validation: Generated<boolean>;
  username: string | null;
  password: string | null;
  proxy_url: string | null;
  proxy_username: string | null;
  proxy_password: string | null;
  download_concurrency: number | null;
  max_retries: number | null;
  policy: Generated<string>;
  total_timeout: number | null;
  connect_timeout: number | null;
  sock_connect_timeout: number | null;
  sock_read_timeout: number | null;
  headers: Json<Array<Record<string, string>> | null>;
  rate_limit: number | null;
  pulp_labels: Json<Record<string, string | null>>;
  detail: Json<Record<string, unknown>>;
}

export interface RemoteArtifactTable extends Base {
  url: string;
  size: number | null;
  md5: string | null;
  sha1: string | null;
  sha224: string | null;
  sha256: string | null;
  sha384: string | null;
  sha512: string | null;
  content_artifact_id: string;
  remote_id: string;
  failed_at: NullableTimestamp;
}

export interface RepositoryTable extends Base {
  pulp_type: string;
  name: string;
  description: string | null;
  next_version: Generated<number>;
  retain_repo_versions: number | null;
  retain_checkpoints: number | null;
  user_hidden: Generated<boolean>;
  remote_id: string | null;
  pulp_labels: Json<Record<string, string | null>>;
  detail: Json<Record<string, unknown>>;
}

export interface RepositoryVersionTable extends Base {
  repository_id: string;
  number: number;
  complete: Generated<boolean>;
  base_version_id: string | null;
  info: Json<Record<string, unknown>>;
}

export interface RepositoryContentTable extends Base {
  repository_id: string;
  content_id: string;
  version_added: number;
  version_removed: number | null;
}

export interface ContentGuardTable extends Base {
  pulp_type: string;
  name: string;
  description: string | null;
  detail: Json<Record<string, unknown>>;
}

export interface PublicationTable extends Base {
  pulp_type: string;
  repository_version_id: string;
  complete: Generated<boolean>;
  pass_through: Generated<boolean>;
  checkpoint: Generated<boolean>;
  detail: Json<Record<string, unknown>>;
}

export interface PublishedArtifactTable extends Base {
  publication_id: string;
  content_artifact_id: string;
  relative_path: string;
}

export interface PublishedMetadataTable extends Base {
  publication_id: string;
  artifact_id: string;
  relative_path: string;
}

export interface DistributionTable extends Base {
  pulp_type: string;
  name: string;
  base_path: string;
  pulp_labels: Json<Record<string, string | null>>;
  hidden: Generated<boolean>;
  content_guard_id: string | null;
  repository_id: string | null;
  repository_version_id: string | null;
  publication_id: string | null;
  remote_id: string | null;
  detail: Json<Record<string, unknown>>;
}

export interface ContentSerialTable {
  id: number;
  serial: number;
}

export interface AuthGroupTable {
  id: Generated<number>;
  name: string;
}

export interface AuthUserGroupsTable {
  id: Generated<number>;
  user_id: number;
  group_id: number;
}

export interface RoleTable extends Base {
  name: string;
  description: string | null;
  locked: Generated<boolean>;
  permissions: ColumnType<string[], string[] | undefined, string[]>;
}

/** Role assignment; `content_type` (model label) and `object_id` are null for a global assignment. */
export interface UserRoleTable extends Base {
  user_id: number;
  role_id: string;
  content_type: string | null;
  object_id: string | null;
}

export interface GroupRoleTable extends Base {
  group_id: number;
  role_id: string;
  content_type: string | null;
  object_id: string | null;
}

export interface AccessPolicyTable extends Base {
  viewset_name: string;
  statements: Json<Record<string, unknown>[]>;
  creation_hooks: Json<Record<string, unknown>[]>;
  queryset_scoping: Json<Record<string, unknown> | null>;
  customized: Generated<boolean>;
}

export interface SessionTable {
  key_hash: string;
  user_id: number;
  csrf_token: string;
  expire_date: Timestamp;
}

export interface SecretTable {
  id: number;
  value: string;
}

export interface ExporterTable extends Base {
  pulp_type: string;
  name: string;
  path: string;
  method: Generated<'write' | 'hardlink' | 'symlink'>;
  last_export_id: string | null;
}

export interface ExporterRepositoryTable {
  exporter_id: string;
  repository_id: string;
}

export interface ExportTable extends Base {
  exporter_id: string;
  task_id: string | null;
  params: Json<Record<string, unknown>>;
  output_file_info: Json<Record<string, string> | null>;
  toc_info: Json<Record<string, unknown> | null>;
}

export interface ExportedResourceTable {
  export_id: string;
  repository_version_id: string | null;
  publication_id: string | null;
}

export interface ImporterTable extends Base {
  pulp_type: string;
  name: string;
  repo_mapping: Json<Record<string, string>>;
}

export interface ImportTable extends Base {
  importer_id: string;
  task_id: string | null;
  params: Json<Record<string, unknown>>;
}

export interface DB {
  app_status: AppStatusTable;
  task_group: TaskGroupTable;
  task: TaskTable;
  progress_report: ProgressReportTable;
  group_progress_report: GroupProgressReportTable;
  task_reservation: TaskReservationTable;
  auth_user: AuthUserTable;
  artifact: ArtifactTable;
  upload: UploadTable;
  upload_chunk: UploadChunkTable;
  content: ContentTable;
  content_artifact: ContentArtifactTable;
  remote: RemoteTable;
  remote_artifact: RemoteArtifactTable;
  repository: RepositoryTable;
  repository_version: RepositoryVersionTable;
  repository_content: RepositoryContentTable;
  content_guard: ContentGuardTable;
  publication: PublicationTable;
  published_artifact: PublishedArtifactTable;
  published_metadata: PublishedMetadataTable;
  distribution: DistributionTable;
  content_serial: ContentSerialTable;
  auth_group: AuthGroupTable;
  auth_user_groups: AuthUserGroupsTable;
  core_role: RoleTable;
  core_userrole: UserRoleTable;
  core_grouprole: GroupRoleTable;
  core_accesspolicy: AccessPolicyTable;
  core_session: SessionTable;
  core_secret: SecretTable;
  profile_artifact: ProfileArtifactTable;
  signing_service: SigningServiceTable;
  task_schedule: TaskScheduleTable;
  exporter: ExporterTable;
  exporter_repository: ExporterRepositoryTable;
  export: ExportTable;
  exported_resource: ExportedResourceTable;
  importer: ImporterTable;
  import: ImportTable;
  upstream_pulp: UpstreamPulpTable;
}
