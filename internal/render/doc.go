// Package render renders the Jinja templates of a Proton template bundle
// (rendering_engine: jinja) with the inputs of a deployment, the way Proton
// rendered CloudFormation files before it provisioned them.
//
// Template code is written by whoever may register a template version, and
// no Go code can stop all of what it may do: a macro that calls itself
// overflows the stack (which recover cannot catch: the runtime ends the
// process), and a few lines that double a string fill the memory. So
// rendering never runs in the server's process. A Renderer renders a job
// (the files of one deployment); the one the server uses, Isolated, starts
// a rendering process for each job: the server's own executable started
// again, which MaybeChild, called first thing in main, turns into a
// renderer. The process runs with a bounded data segment (RLIMIT_DATA), a
// bounded stack, a lower scheduling priority, one CPU and none of the
// server's environment; the server kills it, with its process group, when
// the job's time is up or the deployment's context ends, reads at most a
// bounded amount of what it writes, and turns its end into a message that
// names the file and the limit it reached. At most Limits.Processes run at
// once. An engine that counted its own work would have to change gonja at
// every place it recurses or allocates, and could still miss one.
//
// Inside the rendering process the engine is gonja, a Go implementation of
// Jinja. A template sees only what it is given: {% include %}, {% import %}
// and {% extends %} find no other file, and nothing on the server's disk
// or in its environment is reachable. The engine bounds its own work too:
// range() hands out at most MaxRangeItems items per rendering in all, and a
// rendering that would write more than MaxOutputBytes fails. Its errors are
// said in words, with the file and the line (explain.go).
//
// Proton's own filters work as AWS documents them (filters.go). Outputs of
// other resources are strict, as Proton's are: a family marks them as
// Outputs in a job's data (and an absent component as NoComponent), and a
// template that reads one that is not there fails, naming it, unless the
// default filter gives a value. The marks cross to the rendering process
// beside the data (protocol.go).
package render
