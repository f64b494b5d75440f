import {
  MAX_NAMESPACE_NAME,
  MAX_RELEASE_NAME,
  previewName,
  pullRequestOf,
} from '../github/preview.js';
import type { Command, PullRequestEvent, Settings } from '../settings.js';
import type { InputReader } from './reader.js';

/** What the run's event tells: GITHUB_EVENT_NAME, the GITHUB_EVENT_PATH payload, GITHUB_REPOSITORY. */
export interface EventContext {
  eventName: string;
  payload: unknown;
  /** `owner/name` of the run's repository; '' or undefined when the runner does not say. */
  repository?: string;
}

export type TargetSettings = Pick<
  Settings,
  'command' | 'preview' | 'release' | 'namespace' | 'createNamespace' | 'previewNamespace'
>;

// Helm's own rules: a release name is a lower-case DNS label of at most 53
// characters (helm appends suffixes to it for its own objects).
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const COMMANDS = ['deploy', 'plan', 'uninstall', 'sweep', 'status'] as const;

/**
 * What to do, to which release, in which namespace: the command, release,
 * namespace, preview and create-namespace inputs. With `preview`, the pull
 * request of the event names the release and namespace (`<release>-pr-<number>`,
 * with shared-release `<release>-<hash of the repository>-pr-<number>`) and a
 * closed PR's deploy becomes an uninstall. A sweep needs no release.
 */
export function parseTarget(reader: InputReader, event: EventContext): TargetSettings {
  const command = parseCommand(reader);
  if (command === 'sweep') return parseSweepTarget(reader);
  const base = reader.required('release');
  const baseValid = base !== '' && checkRelease(reader, base);
  const namespaceInput = reader.text('namespace');
  const preview = parsePreview(reader, event);
  const sharedBy = parseSharedRelease(reader, preview !== undefined, event);
  const namespace =
    namespaceInput ||
    (preview ? previewName(base, preview.number, MAX_NAMESPACE_NAME, sharedBy) : 'default');
  reader.check(
    'namespace',
    namespace,
    DNS_LABEL.test(namespace) && namespace.length <= MAX_NAMESPACE_NAME,
    "a DNS label: lower-case letters, digits and '-', at most 63 characters",
  );
  // A preview namespace is made on demand.
  const derivedNamespace = preview !== undefined && namespaceInput === '';
  return {
    // A plan changes nothing, whatever the event: it never becomes an uninstall.
    command: preview?.action === 'closed' && command === 'deploy' ? 'uninstall' : command,
    preview,
    release:
      preview && baseValid ? previewName(base, preview.number, MAX_RELEASE_NAME, sharedBy) : base,
    namespace,
    createNamespace: reader.bool('create-namespace', false) || derivedNamespace,
    previewNamespace: derivedNamespace,
  };
}

/**
 * A sweep finds the previews and their namespaces itself: the release input,
 * optional, narrows it to that release's previews; the inputs that name one
 * release's namespace or pull request are refused rather than ignored.
 */
function parseSweepTarget(reader: InputReader): TargetSettings {
  const release = reader.text('release');
  if (release !== '') checkRelease(reader, release);
  const why =
    'which command sweep does not take: it finds the previews and their namespaces itself';
  const namespace = reader.text('namespace');
  if (namespace !== '') reader.fail('namespace', `is '${namespace}', ${why}`);
  if (reader.bool('preview', false)) reader.fail('preview', `is true, ${why}`);
  if (reader.bool('create-namespace', false)) reader.fail('create-namespace', `is true, ${why}`);
  if (reader.bool('shared-release', false)) {
    reader.fail(
      'shared-release',
      'is true, which command sweep does not take: it finds the previews of both namings itself',
    );
  }
  return {
    command: 'sweep',
    preview: undefined,
    release,
    namespace: '',
    createNamespace: false,
    previewNamespace: false,
  };
}

function parseCommand(reader: InputReader): Command {
  const text = reader.text('command') || 'deploy';
  const command = (COMMANDS as readonly string[]).includes(text) ? (text as Command) : 'deploy';
  reader.check('command', text, command === text, COMMANDS.join(', '));
  return command;
}

/** Whether the release input is a valid Helm release name; an error when not. */
function checkRelease(reader: InputReader, release: string): boolean {
  const valid = DNS_LABEL.test(release) && release.length <= MAX_RELEASE_NAME;
  reader.check(
    'release',
    release,
    valid,
    `a Helm release name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${MAX_RELEASE_NAME} characters`,
  );
  return valid;
}

/**
 * The repository whose hash goes into the preview's names with
 * shared-release (undefined without it); an error when it is set without
 * preview or the runner does not name the repository.
 */
function parseSharedRelease(
  reader: InputReader,
  preview: boolean,
  event: EventContext,
): string | undefined {
  if (!reader.bool('shared-release', false)) return undefined;
  if (!preview) {
    reader.fail('shared-release', 'is true, which names previews only: set preview: true');
    return undefined;
  }
  if (!event.repository) {
    reader.fail(
      'shared-release',
      "is true, which puts a hash of the repository in the preview's names, but GITHUB_REPOSITORY is empty",
    );
    return undefined;
  }
  return event.repository;
}

/** The pull request of the event when `preview` is on; an error when the event has none. */
function parsePreview(reader: InputReader, event: EventContext): PullRequestEvent | undefined {
  if (!reader.bool('preview', false)) return undefined;
  const pullRequest = pullRequestOf(event.eventName, event.payload);
  if (typeof pullRequest !== 'string') return pullRequest;
  reader.fail('preview', `is true, which ${pullRequest}`);
  return undefined;
}
