// Fails when any import circle exists among the project's TypeScript files, type-only imports included: ESLint's
// `import-x/no-cycle` skips `import type`, and a circle of types still ties two modules into one. Builds the graph
// with TypeScript's own module resolution (tsconfig.json) and prints each circle. Run by `npm run lint`.
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import ts from 'typescript';

const root = process.cwd();
const configPath = resolve(root, 'tsconfig.json');
const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
const files = parsed.fileNames.filter((file) => /\.[cm]?ts$/.test(file) && !file.endsWith('.d.ts'));
const known = new Set(files);

/** Every project file each file imports or re-exports (static imports, `import type`, `export ... from`, `import()`). */
const edges = new Map<string, string[]>();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = new Set<string>();
  for (const imported of importedFiles) {
    const resolved = ts.resolveModuleName(imported.fileName, file, parsed.options, ts.sys).resolvedModule;
    if (resolved !== undefined && known.has(resolved.resolvedFileName)) targets.add(resolved.resolvedFileName);
  }
  edges.set(file, [...targets]);
}

// Tarjan's strongly connected components: a component of more than one file, or a file importing itself, is a circle.
let index = 0;
const indexes = new Map<string, number>();
const lowlinks = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const circles: string[][] = [];
function connect(file: string): void {
  indexes.set(file, index);
  lowlinks.set(file, index);
  index += 1;
  stack.push(file);
  onStack.add(file);
  for (const target of edges.get(file) ?? []) {
    if (!indexes.has(target)) {
      connect(target);
      lowlinks.set(file, Math.min(lowlinks.get(file)!, lowlinks.get(target)!));
    } else if (onStack.has(target)) {
      lowlinks.set(file, Math.min(lowlinks.get(file)!, indexes.get(target)!));
    }
  }
  if (lowlinks.get(file) !== indexes.get(file)) return;
  const component: string[] = [];
  let member: string | undefined;
  do {
    member = stack.pop()!;
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1 || (edges.get(file) ?? []).includes(file)) circles.push(component);
}
for (const file of files) if (!indexes.has(file)) connect(file);

if (circles.length > 0) {
  for (const circle of circles)
    console.error(
      `import circle: ${circle
        .map((file) => relative(root, file))
        .sort()
        .join(' <-> ')}`,
    );
  console.error(`${circles.length} import circle(s) among ${files.length} files (type-only imports count)`);
  process.exitCode = 1;
} else {
  console.log(`no import circle among ${files.length} files (type-only imports count)`);
}
