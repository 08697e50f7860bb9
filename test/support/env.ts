// The Jest process's own environment: the functions' logs stay quiet in tests that call use cases directly
// (local mode's functions get theirs from serverless.yml and local/app.ts).
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
