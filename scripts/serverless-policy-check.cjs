// Serverless plugin: `sls package` and `sls deploy` stop when a policy or directory file a function is
// given (POLICY_FILE / DIRECTORY_FILE) does not load, with the policy's own errors (file, rule, what).
// Then each file is compiled to JSON under .hitl-build/policy/ (packaged, see package.patterns) and the
// functions are pointed at it: they read JSON and bundle no YAML parser. CommonJS because the framework
// requires plugins; the work is local/policy-sources.ts, which local mode's start uses too.
const { pathToFileURL } = require('node:url');
const { join } = require('node:path');

class PolicyCheck {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:initialize': () => this.check() };
  }

  async check() {
    const root = this.serverless.serviceDir;
    const { provider, functions = {} } = this.serverless.service;
    const { checkPolicyFiles, compilePolicyFiles } = await import(
      pathToFileURL(join(root, 'local/policy-sources.ts')).href
    );
    const problems = checkPolicyFiles(
      root,
      Object.entries(functions).map(([key, fn]) => ({
        key,
        environment: { ...provider.environment, ...fn.environment },
      })),
    );
    if (problems.length)
      throw new this.serverless.classes.Error(
        `The risk policy does not load; nothing was packaged.\n${problems.join('\n')}`,
      );
    // One folder per stage, written in place (never emptied): packages of two stages may run at once.
    const stage = this.serverless.service.provider.stage;
    const outDir = join(root, '.hitl-build', stage, 'policy');
    for (const [key, fn] of Object.entries(functions)) {
      fn.environment = { ...fn.environment };
      compilePolicyFiles(
        root,
        outDir,
        [{ key, environment: fn.environment }],
        (compiled) => `.hitl-build/${stage}/policy/${compiled}`,
      );
    }
  }
}

module.exports = PolicyCheck;
