//go:build !race

package render

// raceEnabled reports a build with the race detector (see dataLimit).
const raceEnabled = false
