/** Test helper: the environment for the real binary talking to a test server (its keys only, never the machine's AWS config). */
export function awsEnv(credentials: { accessKeyId: string; secretAccessKey: string }): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}
