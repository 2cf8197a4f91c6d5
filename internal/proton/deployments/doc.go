// Package deployments applies the rules that deployments of every target
// type share: reading, listing and deleting them, asking one to cancel, and
// carrying them out.
//
// A family that deploys (environments so far; service instances, pipelines
// and components next) records a deployment in the same transaction as the
// change that starts it, with a job in the store's one queue when a worker
// carries it out. Handler is the worker.Handler of those jobs: it reads the
// deployment, finishes a cancellation, asks the family's Target what to run
// (the engine's request, its files rendered), runs the engine and completes
// the deployment in a transaction that requires the job's lease. The
// runner (worker.Runner) renews the lease from the start, rendering
// included, tells the handler of a cancel or a lost lease, and abandons a
// deployment whose workers keep stopping.
package deployments
