//go:build !race

package segment

// raceEnabled is set when built with -race; slow tests then sample.
const raceEnabled = false
