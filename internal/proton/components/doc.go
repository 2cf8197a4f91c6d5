// Package components applies the rules of directly defined components
// (proton-reference.md §2.7): a developer's own IaC file and manifest,
// deployed attached to a service instance (in its environment) or detached
// in an environment, with the component role of the environment or its
// connection, or through Notify in a self-managed environment.
//
// Every change of a component is one store write
// (store.Components.WriteComponent) with the deployment it starts; the
// store checks the rules that involve other families in the same
// transaction (one component per instance, an attached component holds its
// instance, service and environment, instance and component updates wait
// for each other). Target renders and provisions component deployments:
// component.name, and when attached the instance's service_instance,
// service and environment namespaces.
package components
