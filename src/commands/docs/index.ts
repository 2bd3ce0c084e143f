/**
 * COMMAND DOCS data: the documentation of every Redis 7.2 command and
 * subcommand, one module per command group, keyed by command name
 * ("parent|sub" for subcommands). The modules are generated from a Redis
 * 7.2.6's answers by scripts/capture-command-docs.mjs.
 *
 * This data is the one owner of a command's summary, since, group,
 * complexity, doc flags, deprecation, history and arguments: COMMAND DOCS
 * (commands/types.ts `docsOf()`) finds a command's entry by its name, so a
 * command gets its docs by existing in the table. A command Redis 7.2 does
 * not have gives its docs in its own definition instead.
 *
 * Each group module is a function and the map is made on first use: the
 * thousands of objects (~0.5 MB of V8's heap) are not made at start-up for a
 * server that is never asked COMMAND DOCS (issue 7).
 */
import type { CommandDoc, CommandDocGroup } from "./types.js";
import { bitmapDocs } from "./bitmap.js";
import { clusterDocs } from "./cluster.js";
import { connectionDocs } from "./connection.js";
import { genericDocs } from "./generic.js";
import { geoDocs } from "./geo.js";
import { hashDocs } from "./hash.js";
import { hyperloglogDocs } from "./hyperloglog.js";
import { listDocs } from "./list.js";
import { pubsubDocs } from "./pubsub.js";
import { scriptingDocs } from "./scripting.js";
import { serverDocs } from "./server.js";
import { setDocs } from "./set.js";
import { sortedSetDocs } from "./sorted-set.js";
import { streamDocs } from "./stream.js";
import { stringDocs } from "./string.js";
import { transactionsDocs } from "./transactions.js";

export type { CommandDoc, DocArg } from "./types.js";

const GROUPS: (() => CommandDocGroup)[] = [
  bitmapDocs, clusterDocs, connectionDocs, genericDocs, geoDocs, hashDocs, hyperloglogDocs, listDocs, pubsubDocs,
  scriptingDocs, serverDocs, setDocs, sortedSetDocs, streamDocs, stringDocs, transactionsDocs,
];

let docs: ReadonlyMap<string, CommandDoc> | undefined;

/** Every command's docs by lowercase name ("client|list" for a subcommand). */
export function commandDocs(): ReadonlyMap<string, CommandDoc> {
  return (docs ??= new Map(
    GROUPS.flatMap((make) => {
      const g = make();
      return Object.entries(g.commands).map(([name, doc]): [string, CommandDoc] => [name, { ...doc, group: g.group }]);
    }),
  ));
}
