// Package services applies the rules of services, their instances and
// their pipelines (proton-reference.md §2.4–2.6): a service runs a service
// template version, has at least one instance, each in an environment of
// its account whose template is compatible with the version, and a
// pipeline when its template has one.
//
// Every change of a service is one store write (store.Services.WriteService)
// with the deployments it starts. The deployments of instances and pipelines
// go through the deployments package like an environment's; when the last
// one of a service change ends, the store settles the service (ACTIVE, a
// failed state, or gone after a delete); an update whose new instance
// fails is rolled back by the store in the transaction that records the
// failure.
// Target renders and provisions them: an instance as its environment is
// provisioned, a pipeline with the account's pipeline settings.
package services
