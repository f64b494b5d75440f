import type { HelmInstallSettings, ServerSideSetting, Settings } from '../settings.js';
import { type InputReader, withoutLeadingV } from './reader.js';
import { splitShellWords } from './shell-words.js';

export type HelmSettings = Pick<Settings, 'helm' | 'serverSide' | 'extraArgs'>;

/** The Helm release the tests cover; `helm-version` defaults to it. */
export const DEFAULT_HELM_VERSION = '4.1.4';

const SERVER_SIDE = ['auto', 'true', 'false'] as const;

/** Which helm to install and how to call it: the helm-* inputs, server-side and extra-args. */
export function parseHelm(reader: InputReader): HelmSettings {
  const helm = parseHelmInstall(reader);
  return {
    helm,
    serverSide: parseServerSide(reader, helm.version),
    extraArgs: parseExtraArgs(reader),
  };
}

function parseHelmInstall(reader: InputReader): HelmInstallSettings {
  const version = withoutLeadingV(reader.text('helm-version')) || DEFAULT_HELM_VERSION;
  reader.check(
    'helm-version',
    version,
    version === 'latest' || /^[34]\.\d+\.\d+$/.test(version),
    "a Helm 3 or 4 release such as v3.17.2 or v4.1.4, or 'latest'",
  );
  const downloadBaseUrl = reader.httpUrl(
    'helm-download-base-url',
    (reader.text('helm-download-base-url') || 'https://get.helm.sh').replace(/\/+$/, ''),
  );
  const sha256 = reader.text('helm-sha256').toLowerCase() || undefined;
  if (sha256)
    reader.check('helm-sha256', sha256, /^[0-9a-f]{64}$/.test(sha256), '64 hexadecimal characters');
  return { version, downloadBaseUrl, sha256 };
}

/** The server-side input; true needs Helm 4 (Helm 3 applies client-side only). */
function parseServerSide(reader: InputReader, helmVersion: string): ServerSideSetting {
  const text = reader.text('server-side') || 'auto';
  const valid = (SERVER_SIDE as readonly string[]).includes(text);
  reader.check('server-side', text, valid, SERVER_SIDE.join(', '));
  if (text === 'true' && helmVersion.startsWith('3.')) {
    reader.fail(
      'server-side',
      `is 'true', but helm-version is v${helmVersion} and Helm 3 applies client-side only; allowed with Helm 3: auto, false`,
    );
  }
  return valid ? (text as ServerSideSetting) : 'auto';
}

function parseExtraArgs(reader: InputReader): string[] {
  try {
    return splitShellWords(reader.text('extra-args'));
  } catch (err) {
    reader.fail('extra-args', (err as Error).message);
    return [];
  }
}
