import type { ProviderRef } from '../../core/deployment.js';
import { adaptersOf, type AdapterRef, type DeploymentSpec } from '../../core/deployment-spec.js';
import { PlatformApiError } from '../../core/errors/index.js';
import type { ConnectorContext, Observation } from '../connector.js';
import { jobModelName, lastJobMessage, type Job } from './together-api.js';
import { isAmbiguousCreateFailure, type TogetherClient } from './together-client.js';
import { adapterModelName, isSameModelName } from './together-names.js';
import type { ServerlessRefData, UploadedAdapter } from './together-ref.js';
import { jobPhase, worstObservation } from './together-status.js';

/**
 * Serverless: the base model runs on Together's shared fleet (nothing to provision); each LoRA adapter
 * is registered through the `/v1/models` upload job and, once the job is Complete, called by the model
 * name the upload returned. Upload names derive from the deployment and adapter ids, and the job list is
 * searched before every upload, so a repeated apply never registers an adapter twice.
 */

/** Optional credential for private or gated Hugging Face repositories. */
export const huggingFaceTokenName = 'HF_TOKEN';

export async function applyServerless(spec: DeploymentSpec, client: TogetherClient, context: ConnectorContext): Promise<ProviderRef> {
  const adapters: Record<string, UploadedAdapter> = {};
  const wanted = adaptersOf(spec);
  const jobs = wanted.length > 0 ? await client.listJobs() : [];
  for (const adapter of wanted) {
    adapters[adapter.id] = await ensureUploaded(spec, adapter, jobs, client, context);
  }
  const data: ServerlessRefData = { mode: 'serverless', adapters };
  return { resourceName: spec.baseModel, endpointUrl: client.baseUrl, data };
}

/** Ready when every upload job is Complete; as far along as the slowest one otherwise. */
export async function observeServerless(data: ServerlessRefData, client: TogetherClient): Promise<Observation> {
  const observations: Observation[] = [];
  for (const [adapterId, upload] of Object.entries(data.adapters)) {
    observations.push(await observeUpload(adapterId, upload, client));
  }
  const worst = worstObservation(observations);
  if (worst === null) {
    return { phase: 'ready', endpointUrl: client.baseUrl, providerStatus: 'serverless', message: "served by Together's shared fleet" };
  }
  return { ...worst, endpointUrl: worst.phase === 'gone' ? null : client.baseUrl };
}

/** The `model` to call for `adapterId` (null = the base model), or null when it was never uploaded. */
export function serverlessModelFor(spec: DeploymentSpec, data: ServerlessRefData, adapterId: string | null): string | null {
  if (adapterId === null) return spec.baseModel;
  return data.adapters[adapterId]?.modelName ?? null;
}

async function ensureUploaded(
  spec: DeploymentSpec,
  adapter: AdapterRef,
  jobs: Job[],
  client: TogetherClient,
  context: ConnectorContext,
): Promise<UploadedAdapter> {
  const name = adapterModelName(context.deploymentId, adapter.id);
  const known = findUpload(jobs, name);
  // A Failed upload is tried again: the adapter source may have been fixed since.
  if (known !== null && jobPhase(known.status) !== 'failed') return uploadedFrom(known, name);

  const hfToken = context.credentials[huggingFaceTokenName];
  try {
    const response = await client.uploadModel({
      model_name: name,
      model_source: adapter.id,
      model_type: 'adapter',
      base_model: spec.baseModel,
      description: `modelport deployment ${context.deploymentId}, adapter ${adapter.id}`,
      ...(hfToken ? { hf_token: hfToken } : {}),
    });
    return { jobId: response.data.job_id, modelName: response.data.model_name };
  } catch (error) {
    const nameTaken = error instanceof PlatformApiError && error.status === 400 && /already exists/i.test(error.message);
    if (!nameTaken && !isAmbiguousCreateFailure(error)) throw error;
    // Either the name is ours from an earlier run or the upload's answer was lost: look, don't repeat.
    const again = findUpload(await client.listJobs(), name);
    if (again !== null) return uploadedFrom(again, name);
    if (nameTaken) return { jobId: null, modelName: await registeredModelName(client, name, error) };
    throw error;
  }
}

function findUpload(jobs: Job[], name: string): Job | null {
  const matches = jobs.filter((job) => {
    const modelName = jobModelName(job);
    return modelName !== null && isSameModelName(modelName, name);
  });
  // The newest attempt says where the adapter stands now.
  matches.sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''));
  return matches[0] ?? null;
}

function uploadedFrom(job: Job, name: string): UploadedAdapter {
  return { jobId: job.job_id, modelName: jobModelName(job) ?? name };
}

/** The full `<account>/<name>` Together registered under `name`, when no job tells it any more. */
async function registeredModelName(client: TogetherClient, name: string, cause: unknown): Promise<string> {
  const models = await client.listModels();
  const match = models.find((model) => isSameModelName(model.id, name));
  if (match === undefined) throw cause;
  return match.id;
}

async function observeUpload(adapterId: string, upload: UploadedAdapter, client: TogetherClient): Promise<Observation> {
  const job = upload.jobId === null ? null : await client.getJob(upload.jobId);
  if (job === null) {
    // Jobs may expire; the registered model is what counts.
    const models = await client.listModels();
    const registered = models.some((model) => isSameModelName(model.id, upload.modelName));
    return registered
      ? { phase: 'ready', providerStatus: 'Complete', message: `adapter ${adapterId} is served as "${upload.modelName}"` }
      : { phase: 'gone', providerStatus: 'missing', message: `adapter ${adapterId} ("${upload.modelName}") is no longer registered at Together` };
  }
  const phase = jobPhase(job.status);
  const providerMessage = lastJobMessage(job);
  const message =
    phase === 'failed'
      ? `upload of adapter ${adapterId} failed: ${providerMessage ?? 'no reason given'}`
      : phase === 'ready'
        ? `adapter ${adapterId} is served as "${upload.modelName}"`
        : `upload of adapter ${adapterId} is ${job.status.toLowerCase()}${providerMessage ? `: ${providerMessage}` : ''}`;
  return { phase, providerStatus: job.status, message };
}
