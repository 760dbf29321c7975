#include "wasm/codegen.h"

#include <wabt/apply-names.h>
#include <wabt/c-writer.h>
#include <wabt/generate-names.h>
#include <wabt/ir.h>
#include <wabt/stream.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "wasm/glue_abi_text.h"

namespace nearfaas::wasm {

namespace {

// Textual fixes applied to wasm2c 1.0.32's output. Each must match (the
// generator refuses output of another wasm2c version rather than guess).
struct SourcePatch {
  std::string_view find;
  std::string_view replace;
  bool everyOccurrence;
  const char* why;
};
constexpr SourcePatch kPatches[] = {
    // One trap for three causes; tell them apart (runtime.cpp).
    {"TRAP(CALL_INDIRECT)",
     "(nf_trap_call_indirect((x) < table.size && table.data[x].func != 0, (x) < table.size), 0)",
     false, "CALL_INDIRECT trap"},
    // Element segments give an imported function the *address* of the
    // instance field holding its import module's instance, where direct calls
    // and ref.func pass the field's value. Tag those offsets and dereference.
    {"offsetof(Z_m_instance_t, ", "NF_IMPORTED_FUNC_OFFSET + offsetof(Z_m_instance_t, ", true,
     "imported functions in element segments"},
    {"(char*)module_instance + src_expr->module_offset",
     "nf_elem_module_instance(module_instance, src_expr->module_offset)", false,
     "element segment initialisation"},
    // A load must happen (and trap when out of bounds) even if its value is
    // unused, so wasm2c passes every loaded value to an empty asm. Its "r"
    // constraint moves a float or double from its SSE register into a general
    // one and back, on every load; keep floats where they are.
    {"wasm_asm(\"\" ::\"r\"(result));", "NF_FORCE_READ(result);", true, "forced loads"},
};

constexpr std::string_view kPatchHelpers = R"(
void nf_trap_call_indirect(int has_func, int in_bounds);
#define NF_IMPORTED_FUNC_OFFSET ((size_t)1 << 62)
static inline void* nf_elem_module_instance(void* instance, size_t offset) {
  if (offset >= NF_IMPORTED_FUNC_OFFSET)
    return *(void**)((char*)instance + (offset - NF_IMPORTED_FUNC_OFFSET));
  return (char*)instance + offset;
}
#if defined(__x86_64__) || defined(__i386__)
#define NF_FLOAT_REG "x"
#else
#define NF_FLOAT_REG "r"
#endif
static inline void nf_force_read_float(float v) { __asm__("" ::NF_FLOAT_REG(v)); }
static inline void nf_force_read_double(double v) { __asm__("" ::NF_FLOAT_REG(v)); }
static inline void nf_force_read_int(unsigned long long v) { __asm__("" ::"r"(v)); }
#define NF_FORCE_READ(v) \
  _Generic((v), float: nf_force_read_float, double: nf_force_read_double, \
           default: nf_force_read_int)(v)
)";

// Applies kPatches. A pattern that must occur once (or, for every-occurrence
// patterns, whenever the module has imported functions in element segments)
// and does not is an error.
Result<void> patchSource(std::string& src) {
  for (const auto& p : kPatches) {
    size_t pos = src.find(p.find);
    if (pos == std::string::npos) {
      if (p.everyOccurrence) continue;
      return fail("codegen: unexpected wasm2c output (", p.why, " not found); wrong WABT version?");
    }
    do {
      src.replace(pos, p.find.size(), p.replace);
      pos = p.everyOccurrence ? src.find(p.find, pos + p.replace.size()) : std::string::npos;
    } while (pos != std::string::npos);
  }
  return {};
}

const char* cType(ValType t) {
  switch (t) {
    case ValType::I32:
      return "u32";
    case ValType::I64:
      return "u64";
    case ValType::F32:
      return "f32";
    case ValType::F64:
      return "f64";
    case ValType::FuncRef:
      return "wasm_rt_funcref_t";
    case ValType::ExternRef:
      return "wasm_rt_externref_t";
  }
  return "void";
}

const char* valueField(ValType t) {
  switch (t) {
    case ValType::I32:
      return "i32";
    case ValType::I64:
      return "i64";
    case ValType::F32:
      return "f32";
    case ValType::F64:
      return "f64";
    case ValType::FuncRef:
      return "funcref";
    case ValType::ExternRef:
      return "externref";
  }
  return "i32";
}

char multiValueChar(ValType t) {
  switch (t) {
    case ValType::I32:
      return 'i';
    case ValType::I64:
      return 'j';
    case ValType::F32:
      return 'f';
    case ValType::F64:
      return 'd';
    case ValType::FuncRef:
      return 'r';
    case ValType::ExternRef:
      return 'e';
  }
  return '?';
}

// C return type of a function type, as wasm2c spells it.
std::string cResultType(const FuncType& t) {
  if (t.results.empty()) return "void";
  if (t.results.size() == 1) return cType(t.results[0]);
  std::string s = "struct wasm_multi_";
  for (auto r : t.results)
    s += multiValueChar(r);
  return s;
}

// "u32 (*)(void*, u32, u64)"
std::string cFuncPtrType(const FuncType& t) {
  std::string s = cResultType(t) + " (*)(void*";
  for (auto p : t.params)
    s += std::string(", ") + cType(p);
  return s + ")";
}

// Multi-value struct member i, as wasm2c names it: type char + index.
std::string multiMember(const FuncType& t, size_t i) {
  return std::string(1, multiValueChar(t.results[i])) + std::to_string(i);
}

// The C names of the module's imports after sanitizeNames(): index i of
// ModuleInfo::imports is C import module `modules[i]`, field `fields[i]`.
struct CImportNames {
  std::vector<std::string> modules, fields;
  std::string symbol(size_t i) const { return mangleName(modules[i]) + mangleName(fields[i]); }
  static std::string instanceStruct(const std::string& module) {
    return "struct " + mangleName(module) + "_instance_t";
  }
};

// Replaces every name wasm2c would copy into the C it writes with one made
// here from indices, so no byte of the module's own text reaches generated
// code: wasm2c 1.0.32 writes export and import names unescaped into comments
// (an export named "x */ ..." would be compiled as C). Functions, globals,
// memories and tables become $f<i>, $g<i>, $m<i>, $t<i>; exports e<i>; the
// k-th distinct import module i<k> and the j-th distinct (module, field) pair
// f<j>, so imports of one (module, field) still share one C symbol. The
// module's own names stay in ModuleInfo, which the runtime resolves by.
CImportNames sanitizeNames(wabt::Module& m) {
  auto rename = [](auto& items, auto& bindings, const char* prefix) {
    bindings.clear();
    for (wabt::Index i = 0; i < items.size(); ++i) {
      items[i]->name = std::string("$") + prefix + std::to_string(i);
      bindings.emplace(items[i]->name, wabt::Binding(i));
    }
  };
  rename(m.funcs, m.func_bindings, "f");
  rename(m.globals, m.global_bindings, "g");
  rename(m.memories, m.memory_bindings, "m");
  rename(m.tables, m.table_bindings, "t");

  m.export_bindings.clear();
  for (wabt::Index i = 0; i < m.exports.size(); ++i) {
    m.exports[i]->name = "e" + std::to_string(i);
    m.export_bindings.emplace(m.exports[i]->name, wabt::Binding(i));
  }

  CImportNames names;
  std::map<std::string, std::string> moduleNames;
  std::map<std::pair<std::string, std::string>, std::string> fieldNames;
  for (wabt::Import* imp : m.imports) {
    auto mod = moduleNames.try_emplace(imp->module_name, "i" + std::to_string(moduleNames.size()));
    auto field = fieldNames.try_emplace({imp->module_name, imp->field_name},
                                        "f" + std::to_string(fieldNames.size()));
    imp->module_name = mod.first->second;
    imp->field_name = field.first->second;
    names.modules.push_back(imp->module_name);
    names.fields.push_back(imp->field_name);
  }
  return names;
}

// Generated C is plain printable ASCII, lines and tabs: a second line of
// defence behind sanitizeNames(), which would catch a module byte that still
// found its way into the output (NUL, control characters, UTF-8).
Result<void> checkGeneratedText(std::string_view text, const char* what) {
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c > 0x7e)
      return fail("codegen: generated ", what, " has byte 0x", std::to_string(c), " at offset ",
                  std::to_string(i), "; refusing to compile it");
  }
  return {};
}

void emitThunks(std::ostream& os, const ModuleInfo& info) {
  for (size_t t = 0; t < info.types.size(); ++t) {
    const FuncType& ft = info.types[t];
    os << "static void nf_thunk_" << t
       << "(wasm_rt_function_ptr_t fn, void* ctx, const nf_value_t* a, nf_value_t* r) {\n  ";
    std::string call = "((" + cFuncPtrType(ft) + ")fn)(ctx";
    for (size_t i = 0; i < ft.params.size(); ++i)
      call += ", a[" + std::to_string(i) + "]." + valueField(ft.params[i]);
    call += ")";
    if (ft.results.empty()) {
      os << call << ";\n  (void)r;\n";
    } else if (ft.results.size() == 1) {
      os << "r[0]." << valueField(ft.results[0]) << " = " << call << ";\n";
    } else {
      os << cResultType(ft) << " x = " << call << ";\n";
      for (size_t i = 0; i < ft.results.size(); ++i)
        os << "  r[" << i << "]." << valueField(ft.results[i]) << " = x." << multiMember(ft, i)
           << ";\n";
    }
    if (ft.params.empty()) os << "  (void)a;\n";
    os << "}\n";
  }
}

// Definitions of the symbols wasm2c expects for imports: function trampolines
// through the binding array, and accessors for imported globals, memories and
// tables. wasm2c declares each (module, field) once; later duplicates reuse
// the first import's symbol, so only first occurrences get a definition.
void emitImports(std::ostream& os, const ModuleInfo& info, const CImportNames& names) {
  std::set<std::string> seen;
  for (size_t i = 0; i < info.imports.size(); ++i) {
    const ImportDesc& imp = info.imports[i];
    std::string sym = names.symbol(i);
    if (!seen.insert(sym).second) continue;
    std::string ctxType = CImportNames::instanceStruct(names.modules[i]) + "*";
    std::string binding = "((const nf_binding_t*)ctx)[" + std::to_string(i) + "]";
    switch (imp.kind) {
      case ExternKind::Func: {
        const FuncType& ft = info.types[imp.funcTypeIndex];
        os << cResultType(ft) << " " << sym << "(" << ctxType << " ctx";
        for (size_t p = 0; p < ft.params.size(); ++p)
          os << ", " << cType(ft.params[p]) << " p" << p;
        os << ") {\n  const nf_binding_t* b = &" << binding << ";\n  ";
        if (!ft.results.empty()) os << "return ";
        os << "((" << cFuncPtrType(ft) << ")b->fn)(b->ctx";
        for (size_t p = 0; p < ft.params.size(); ++p)
          os << ", p" << p;
        os << ");\n}\n";
        break;
      }
      case ExternKind::Global:
        os << cType(imp.global.type) << "* " << sym << "(" << ctxType << " ctx) { return ("
           << cType(imp.global.type) << "*)" << binding << ".ptr; }\n";
        break;
      case ExternKind::Memory:
        os << "wasm_rt_memory_t* " << sym << "(" << ctxType << " ctx) { return (wasm_rt_memory_t*)"
           << binding << ".ptr; }\n";
        break;
      case ExternKind::Table: {
        const char* tt = imp.table.elemType == ValType::FuncRef ? "wasm_rt_funcref_table_t"
                                                                : "wasm_rt_externref_table_t";
        os << tt << "* " << sym << "(" << ctxType << " ctx) { return (" << tt << "*)" << binding
           << ".ptr; }\n";
        break;
      }
    }
  }
}

// First import of each kind in index order: the instance field wasm2c uses.
std::vector<std::string> importedFields(const ModuleInfo& info, const CImportNames& names,
                                        ExternKind kind) {
  std::vector<std::string> fields;
  for (size_t i = 0; i < info.imports.size(); ++i)
    if (info.imports[i].kind == kind) fields.push_back(names.symbol(i));
  return fields;
}

void emitAccessors(std::ostream& os, const ModuleInfo& info, const CImportNames& names) {
  auto globals = importedFields(info, names, ExternKind::Global);
  os << "static void* nf_global_ptr(void* p, uint32_t i) {\n  Z_m_instance_t* x = p;\n"
        "  switch (i) {\n";
  for (size_t i = 0; i < info.globals.size(); ++i) {
    if (i < globals.size())
      os << "    case " << i << ": return x->" << globals[i] << ";\n";
    else
      os << "    case " << i << ": return &x->w2c_g" << i << ";\n";
  }
  os << "  }\n  (void)x;\n  return 0;\n}\n";

  auto memories = importedFields(info, names, ExternKind::Memory);
  os << "static wasm_rt_memory_t* nf_memory(void* p, uint32_t i) {\n  Z_m_instance_t* x = p;\n"
        "  switch (i) {\n";
  for (size_t i = 0; i < info.memories.size(); ++i) {
    if (i < memories.size())
      os << "    case " << i << ": return x->" << memories[i] << ";\n";
    else
      os << "    case " << i << ": return &x->w2c_m" << i << ";\n";
  }
  os << "  }\n  (void)x;\n  return 0;\n}\n";

  auto tables = importedFields(info, names, ExternKind::Table);
  os << "static void* nf_table(void* p, uint32_t i) {\n  Z_m_instance_t* x = p;\n"
        "  switch (i) {\n";
  for (size_t i = 0; i < info.tables.size(); ++i) {
    if (i < tables.size())
      os << "    case " << i << ": return x->" << tables[i] << ";\n";
    else
      os << "    case " << i << ": return &x->w2c_t" << i << ";\n";
  }
  os << "  }\n  (void)x;\n  return 0;\n}\n";
}

void emitDescriptor(std::ostream& os, const ModuleInfo& info, const CImportNames& names) {
  std::set<std::string> importModules(names.modules.begin(), names.modules.end());

  os << "static void nf_instantiate(void* p, nf_binding_t* b) {\n"
        "  Z_m_instantiate((Z_m_instance_t*)p";
  // Every import module's instance pointer is the binding array, so the order
  // of wasm2c's parameters does not matter, only their count.
  for (const auto& mod : importModules)
    os << ", (" << CImportNames::instanceStruct(mod) << "*)b";
  os << ");\n";
  if (importModules.empty()) os << "  (void)b;\n";
  os << "}\n";
  os << "static void nf_free(void* p) { Z_m_free((Z_m_instance_t*)p); }\n";
  os << "static void nf_rebind(void* p, nf_binding_t* b) {\n";
  if (importModules.empty()) {
    os << "  (void)p;\n  (void)b;\n";
  } else {
    os << "  init_instance_import((Z_m_instance_t*)p";
    for (const auto& mod : importModules)
      os << ", (" << CImportNames::instanceStruct(mod) << "*)b";
    os << ");\n";
  }
  os << "}\n";

  if (!info.types.empty()) {
    os << "static const nf_thunk_t nf_thunks[] = {";
    for (size_t t = 0; t < info.types.size(); ++t)
      os << (t ? ", " : "") << "nf_thunk_" << t;
    os << "};\n";
  }
  if (!info.funcTypeIndex.empty()) {
    os << "static const uint32_t nf_func_types[] = {";
    for (size_t f = 0; f < info.funcTypeIndex.size(); ++f)
      os << (f ? ", " : "") << info.funcTypeIndex[f];
    os << "};\n";
  }
  bool hasDefined = info.funcTypeIndex.size() > info.numImportedFuncs;
  if (hasDefined) {
    os << "static const wasm_rt_function_ptr_t nf_defined_funcs[] = {";
    for (size_t f = info.numImportedFuncs; f < info.funcTypeIndex.size(); ++f)
      os << (f > info.numImportedFuncs ? ", " : "") << "(wasm_rt_function_ptr_t)&w2c_f" << f;
    os << "};\n";
  }
  os << "static const nf_module_abi_t nf_abi = {\n"
     << "  NF_GLUE_ABI_VERSION, sizeof(Z_m_instance_t), " << info.imports.size() << ", "
     << info.types.size() << ", " << info.funcTypeIndex.size() << ", " << info.numImportedFuncs
     << ", " << info.globals.size() << ",\n  " << (info.types.empty() ? "0" : "func_types") << ", "
     << (info.types.empty() ? "0" : "nf_thunks") << ", "
     << (info.funcTypeIndex.empty() ? "0" : "nf_func_types") << ", "
     << (hasDefined ? "nf_defined_funcs" : "0") << ",\n"
     << "  Z_m_init_module, nf_instantiate, nf_free, nf_global_ptr, nf_memory, nf_table, "
        "nf_rebind,\n};\n";
  os << "__attribute__((visibility(\"default\"))) const nf_module_abi_t* " << kModuleAbiSymbol
     << "(void) { return &nf_abi; }\n";
}

}  // namespace

std::string mangleName(std::string_view name) {
  std::string out = "Z_";
  for (unsigned char c : name) {
    bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Y') || (c >= '0' && c <= '9') || c == '_';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "Z%02X", c);
      out += buf;
    }
  }
  return out;
}

// wasm2c 1.0.32 gives each imported (module, field) one C symbol; importing
// the same name twice with different kinds or types makes it abort.
Result<void> checkTranslatable(const ModuleInfo& info) {
  std::map<std::pair<std::string, std::string>, const ImportDesc*> seen;
  for (const auto& imp : info.imports) {
    auto [it, fresh] = seen.try_emplace({imp.module, imp.field}, &imp);
    if (fresh) continue;
    const ImportDesc& first = *it->second;
    bool same = first.kind == imp.kind &&
                (imp.kind != ExternKind::Func ||
                 info.types[first.funcTypeIndex] == info.types[imp.funcTypeIndex]) &&
                (imp.kind != ExternKind::Global || first.global == imp.global);
    if (!same)
      return fail(
          "codegen: the module imports ", imp.displayName(),
          " more than once with different kinds or types, which wasm2c 1.0.32 cannot translate");
  }
  return {};
}

Result<GeneratedC> generateC(DecodedModule& module) {
  if (auto ok = checkTranslatable(module.info); !ok) return std::unexpected(ok.error());
  wabt::Module& ir = *module.ir;
  CImportNames importNames = sanitizeNames(ir);
  if (wabt::Failed(wabt::GenerateNames(&ir))) return fail("codegen: cannot name module entities");
  (void)wabt::ApplyNames(&ir);

  wabt::MemoryStream cStream, hStream;
  wabt::WriteCOptions options;
  options.module_name = "m";
  if (wabt::Failed(wabt::WriteC(&cStream, &hStream, kGeneratedHeaderName, &ir, options)))
    return fail("codegen: wasm2c could not translate the module");

  const auto& cBuf = cStream.output_buffer().data;
  const auto& hBuf = hStream.output_buffer().data;
  std::string wasm2cSource(cBuf.begin(), cBuf.end());
  if (auto patched = patchSource(wasm2cSource); !patched) return std::unexpected(patched.error());

  const ModuleInfo& info = module.info;
  std::ostringstream os;
  os << "/* Generated by NearFaaS codegen v" << kCodegenVersion << ". */\n";
  os << kGlueAbiText << "\n";
  os << kPatchHelpers;
  os << wasm2cSource << "\n/* ---- NearFaaS glue ---- */\n";
  emitImports(os, info, importNames);
  emitThunks(os, info);
  emitAccessors(os, info, importNames);
  emitDescriptor(os, info, importNames);

  GeneratedC out;
  out.header.assign(hBuf.begin(), hBuf.end());
  out.source = os.str();
  if (auto ok = checkGeneratedText(out.header, "header"); !ok) return std::unexpected(ok.error());
  if (auto ok = checkGeneratedText(out.source, "source"); !ok) return std::unexpected(ok.error());
  return out;
}

}  // namespace nearfaas::wasm
