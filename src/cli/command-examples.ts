/**
 * The "Examples:" block at the end of each command's `--help`, by command name. Printed as written (commander does
 * not re-wrap text added after the help), so each line stays under 80 columns.
 */
export const COMMAND_EXAMPLES: Readonly<Record<string, string>> = {
  'nango-replicator': `
Examples (from a clone: node dist/workers/cli.js instead of nango-replicator):
  $ nango-replicator sync -i github -c acme -m GithubIssue
  $ nango-replicator worker
  $ nango-replicator status
  $ nango-replicator dbt-sources --output models/sources/nango.yml
  $ nango-replicator sync --help`,
  sync: `
Examples:
  # one stream, from its stored cursor to the end
  $ nango-replicator sync -i github -c acme -m GithubIssue
  # four streams (two connections x two models), one after the other
  $ nango-replicator sync -i github -c acme -c globex -m GithubIssue \\
      -m GithubPullRequest
  # the whole stream again from the start; the summary as one JSON line
  $ nango-replicator sync -i github -c acme -m GithubIssue --full --json
  # with REDIS_URL: wait for a worker reading the stream instead of skipping
  $ nango-replicator sync -i github -c acme -m GithubIssue --wait`,
  migrate: `
Examples:
  $ DATABASE_URL=postgres://user:pass@db:5432/app nango-replicator migrate`,
  worker: `
Examples:
  # the streams to follow are listed under \`streams\` in this file
  $ REPLICATOR_CONFIG=config/replicator.yaml nango-replicator worker
  # the status page is on the admin door: http://localhost:9464/ (ADMIN_PORT)
  $ curl -s -H "Authorization: Bearer $ADMIN_TOKEN" localhost:9464/metrics
  # the public door (PORT 8080) has the webhook route and health only
  $ curl -s localhost:8080/readyz`,
  status: `
Examples:
  # every stream up to 50; on a larger fleet a summary and the 20 worst
  $ nango-replicator status
  # the failing streams of one integration, at most 100 of them
  $ nango-replicator status -i github --failing --limit 100
  # streams of one connection without a successful run for over 2 hours
  $ nango-replicator status -c acme --lagging 2h
  # every stream as JSON (streamed), here the failing ones
  $ nango-replicator status --json | jq '.[] | select(.lastError != null)'`,
  backfill: `
Examples:
  # re-read one stream from the start and upsert (a worker must be running)
  $ nango-replicator backfill -i github -c acme -m GithubIssue --wait
  # every stream of the integration, records modified since June
  $ nango-replicator backfill -i github --since 2026-06-01
  # re-read everything and delete the rows Nango no longer has
  $ nango-replicator backfill -i github -c acme --mode replace --wait`,
  'dbt-sources': `
Examples:
  # write the sources file into a dbt project (the folder is created)
  $ nango-replicator dbt-sources --output models/sources/nango.yml
  # print it; then in dbt: select * from {{ source('nango', 'ticket') }}
  $ nango-replicator dbt-sources
  $ dbt source freshness`,
};
