import type { CoreMetadata } from './core-metadata.js';

/** A python_package_content row joined with its content row's creation time. */
export interface PythonPackageRow extends CoreMetadata {
  content_id: string;
  filename: string;
  packagetype: string;
  python_version: string;
  sha256: string;
  metadata_sha256: string | null;
  size: number | string;
  yanked: boolean;
  yanked_reason: string | null;
  pulp_created: Date | string;
}
