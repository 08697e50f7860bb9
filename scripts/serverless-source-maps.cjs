// Serverless plugin: the functions' source maps stay out of the zips Lambda loads, and are kept beside them.
// A map is more than half of a function's zip, and Node reads it only with --enable-source-maps, which parses
// it at every cold start. So each function's package leaves out `*.map`, and once the bundles are built their
// maps are copied to <package folder>/sourcemaps/ (`.serverless/sourcemaps/`, or under `--package <dir>`),
// where `npm run stack` reads them to turn a stack trace from CloudWatch back into source lines. Keep that
// folder with the release. Listed before serverless-esbuild: its own after-hook deletes the build folder.
const { cp, readdir } = require('node:fs/promises');
const { join } = require('node:path');

class SourceMaps {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      initialize: () => this.leaveOutOfZips(),
      'after:package:createDeploymentArtifacts': () => this.keep(),
    };
  }

  leaveOutOfZips() {
    for (const fn of Object.values(this.serverless.service.functions ?? {})) {
      const patterns = fn.package?.patterns ?? [];
      if (!patterns.includes('!**/*.map')) fn.package = { ...fn.package, patterns: [...patterns, '!**/*.map'] };
    }
  }

  /** Into .serverless/sourcemaps/: the framework moves the folder with the zips to `--package <dir>` when asked. */
  async keep() {
    const root = this.serverless.serviceDir;
    const build = join(root, '.esbuild', '.build');
    const entries = await readdir(build, { recursive: true });
    for (const file of entries.filter((f) => f.endsWith('.map') && !f.startsWith('node_modules')))
      await cp(join(build, file), join(root, '.serverless', 'sourcemaps', file));
  }
}

module.exports = SourceMaps;
