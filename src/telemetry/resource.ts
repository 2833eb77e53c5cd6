import type { Resource } from '@opentelemetry/resources';
import type { RunIdentity } from '../events/run-identity.js';
import { otelResources } from '../otel-sdk.js';

/** Resource attributes of a run, beside the standard `service.*` ones. */
export const RunAttr = {
  id: 'jepa.run.id',
  name: 'jepa.run.name',
  project: 'jepa.project',
  rank: 'jepa.rank',
  localRank: 'jepa.local_rank',
  worldSize: 'jepa.world_size',
} as const;

/**
 * The run's OTel resource. `service.name` is the project (Prometheus `job`), `service.instance.id`
 * is `<run id>-<rank>` (Prometheus `instance`: unique per process, as the convention asks).
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` win over both, as users of OTel expect.
 */
export function runResource(identity: RunIdentity): Resource {
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } = otelResources();
  const run = resourceFromAttributes({
    // Spelled out: importing semantic-conventions here would load its ES module build beside the
    // CommonJS one the SDK requires, a second copy of some thousand constants.
    'service.name': identity.project,
    'service.instance.id': `${identity.id}-${identity.rank}`,
    [RunAttr.id]: identity.id,
    [RunAttr.name]: identity.name,
    [RunAttr.project]: identity.project,
    [RunAttr.rank]: identity.rank,
    [RunAttr.localRank]: identity.localRank,
    [RunAttr.worldSize]: identity.worldSize,
  });
  return defaultResource()
    .merge(run)
    .merge(detectResources({ detectors: [envDetector] }));
}
