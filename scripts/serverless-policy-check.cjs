// Serverless plugin: `sls package` and `sls deploy` stop when a policy or directory file a function is
// given (POLICY_FILE / DIRECTORY_FILE) does not load, with the policy's own errors (file, rule, what).
// CommonJS because the framework requires plugins; the check itself is the functions' own loader.
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
    const { checkPolicyFiles } = await import(pathToFileURL(join(root, 'functions/adapters/policy-files.ts')).href);
    const problems = checkPolicyFiles(root, Object.entries(functions).map(([key, fn]) => ({ key, environment: { ...provider.environment, ...fn.environment } })));
    if (problems.length) throw new this.serverless.classes.Error(`The risk policy does not load; nothing was packaged.\n${problems.join('\n')}`);
  }
}

module.exports = PolicyCheck;
