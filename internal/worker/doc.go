// Package worker runs background work that lives in the store as leased
// jobs: template registrations, deployments. A Loop calls a step function
// until it reports no work, then waits for a wake-up or its poll interval,
// since another replica may have queued work or a lease may have expired.
// The step function leases, runs and finishes its jobs itself, in the
// store's transactions; the loop only schedules it and keeps it alive.
package worker
