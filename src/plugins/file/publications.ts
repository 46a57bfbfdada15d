import { Type } from '@sinclair/typebox';
import { definePublicationType, type Services } from '../../plugin-api/index.js';

export const PUBLISH_TASK = 'pulp_file.app.tasks.publishing.publish';

/** `publications/file/file/`: a PULP_MANIFEST (or none, with `manifest: null`) of a repository version. */
export const filePublication = definePublicationType({
  app: 'file',
  type: 'file',
  model: 'FilePublication',
  repositoryTypes: ['file.file'],
  publishTask: PUBLISH_TASK,
  fields: {
    manifest: Type.Optional(Type.Union([Type.String(), Type.Null()], { default: 'PULP_MANIFEST' })),
  },
  checkpoint: true,
});

export async function publicationById(services: Services, id: string): Promise<Record<string, unknown>> {
  const [row] = await filePublication.byIds(services, [id]);
  if (!row) throw new Error(`publication ${id} vanished`);
  return filePublication.serialize(services, row);
}
