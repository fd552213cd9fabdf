import type { LoggedRequest } from '../../stand-in/logged-request.js';

/** What the stand-in received in a window, by why the fleet asked (see `classifyRequests`). */
export interface RequestsByKind {
  /** The first `GET /records` of a stream after a webhook announced a change of it: the pull the webhook asked for. */
  pulls: number;
  /** Further `GET /records` of such a stream in the window (a second page, a follow-up pull, a tick that read it). */
  extraReadsOfAnnounced: number;
  /** `GET /records` of streams no webhook announced in the window: scheduled (safety-net) reads. */
  scheduledReads: number;
  /** Every other request (discovery's connections and scripts config, `/sync/status`, ...), by path. */
  other: Map<string, number>;
}

/**
 * Sorts the requests of a window (`requests`, in arrival order) by kind, given when each stream was announced
 * (`announcedAt`: stream key `connection/model` -> epoch ms of its webhook, by the stand-in's clock).
 */
export function classifyRequests(requests: ReadonlyArray<LoggedRequest>, announcedAt: ReadonlyMap<string, number>): RequestsByKind {
  const result: RequestsByKind = { pulls: 0, extraReadsOfAnnounced: 0, scheduledReads: 0, other: new Map() };
  const pulled = new Set<string>();
  for (const request of requests) {
    if (!request.path.startsWith('/records')) {
      result.other.set(request.path, (result.other.get(request.path) ?? 0) + 1);
      continue;
    }
    const key = `${request.headers['connection-id']}/${String(request.query.model)}`;
    const at = announcedAt.get(key);
    if (at === undefined || at > request.at) result.scheduledReads += 1;
    else if (pulled.has(key)) result.extraReadsOfAnnounced += 1;
    else {
      pulled.add(key);
      result.pulls += 1;
    }
  }
  return result;
}

/** Total of `other`. */
export function otherCount(kinds: RequestsByKind): number {
  return [...kinds.other.values()].reduce((a, b) => a + b, 0);
}
