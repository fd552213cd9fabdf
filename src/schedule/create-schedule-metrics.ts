import { Counter, Gauge, type Registry } from 'prom-client';
import type { FleetSchedule } from './fleet-schedule.js';

/** The schedule's metrics: the fleet's budget plan (gauges, the same in every process: aggregate with `max`) and repairs. */
export interface ScheduleMetrics {
  /** Job schedulers the reconciler re-created (missing or stuck). */
  schedulerRepairs: Counter;
}

/**
 * Registers on `registry`: `nango_replicator_schedule_budget_requests_per_minute`, `..._demand_...`,
 * `..._needed_...` (what the configuration would need at its `every` periods), `nango_replicator_schedule_stretch`
 * (1: periods fit the budget; above 1: budget-limited, safety-net periods stretched by it), each read from the plan
 * at scrape time, and the counter `nango_replicator_scheduler_repairs_total`.
 */
export function createScheduleMetrics(
  registry: Registry,
  sources: { load(): Promise<FleetSchedule | null>; onSourceError(error: unknown): void },
): ScheduleMetrics {
  const registers = [registry];
  const gauge = (name: string, help: string, value: (plan: FleetSchedule) => number) => {
    const g: Gauge = new Gauge({
      name: `nango_replicator_schedule_${name}`,
      help,
      registers,
      async collect() {
        try {
          const plan = await sources.load();
          if (plan === null) g.reset();
          else g.set(value(plan));
        } catch (error) {
          sources.onSourceError(error);
        }
      },
    });
  };
  gauge('budget_requests_per_minute', "The fleet's API budget (requestsPerMinute x share), requests a minute.", (p) => p.budgetPerMinute);
  gauge(
    'demand_requests_per_minute',
    'What adaptive polling, pulls, discovery and hints ask for, requests a minute.',
    (p) => p.demandPerMinute,
  );
  gauge(
    'needed_requests_per_minute',
    'What the configuration would need with every stream read at its `every`, requests a minute.',
    (p) => p.neededPerMinute,
  );
  gauge('stretch', 'Factor the safety-net periods are stretched by to fit the budget (1: not budget-limited).', (p) => p.stretch);
  return {
    schedulerRepairs: new Counter({
      name: 'nango_replicator_scheduler_repairs_total',
      help: 'Job schedulers the reconciler re-created because they were missing or stuck.',
      registers,
    }),
  };
}
