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
  # then the status page is at http://localhost:8080/ (PORT, default 8080)
  $ curl -s localhost:8080/metrics | grep nango_replicator_
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
};
