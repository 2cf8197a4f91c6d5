// The environment the Go end-to-end tests give a suite.

// required returns the environment variable name, which the Go test sets; a
// missing one fails the suite rather than letting it test another server.
export function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the Go end-to-end tests set it (see test/e2e)`);
  return value;
}
