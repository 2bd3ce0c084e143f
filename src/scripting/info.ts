/** INFO memory's scripting fields (Redis's used_memory_vm_eval, number_of_cached_scripts, ...), from the interpreters and caches. */
import { infoProviders, bytesToHuman } from "../commands/info.js";
import { scripting } from "../engine/index.js";
import { scriptBytes, scriptCount } from "./cache.js";
import { functionCount, libraryBytes, libraryCount } from "./library.js";

const vmEval = () => scripting.memory();
const vmFunctions = () => scripting.functionMemory();
const functionsOverhead = () => 184 + libraryBytes();

infoProviders.set("used_memory_lua", vmEval);
infoProviders.set("used_memory_vm_eval", vmEval);
infoProviders.set("used_memory_lua_human", () => bytesToHuman(vmEval()));
infoProviders.set("used_memory_scripts_eval", scriptBytes);
infoProviders.set("number_of_cached_scripts", scriptCount);
infoProviders.set("number_of_functions", functionCount);
infoProviders.set("number_of_libraries", libraryCount);
infoProviders.set("used_memory_vm_functions", vmFunctions);
infoProviders.set("used_memory_vm_total", () => vmEval() + vmFunctions());
infoProviders.set("used_memory_vm_total_human", () => bytesToHuman(vmEval() + vmFunctions()));
infoProviders.set("used_memory_functions", functionsOverhead);
infoProviders.set("used_memory_scripts", () => scriptBytes() + functionsOverhead());
infoProviders.set("used_memory_scripts_human", () => bytesToHuman(scriptBytes() + functionsOverhead()));
