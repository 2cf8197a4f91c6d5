// Package templates applies the rules of environment and service templates
// and their versions: registration of bundles, publishing, recommended
// versions and deletion.
package templates
