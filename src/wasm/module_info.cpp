#include "wasm/module_info.h"

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/cast.h>
#include <wabt/feature.h>
#include <wabt/ir.h>

#include <sstream>

#include "base/bytes.h"
#include "wasm/decoded_module.h"
#include "wasm/reference_validator.h"

namespace nearfaas::wasm {

namespace {

// The feature set the engine implements: WABT 1.0.32's defaults minus SIMD,
// which wasm2c 1.0.32 cannot translate.
wabt::Features engineFeatures() {
  wabt::Features f;
  f.disable_simd();
  return f;
}

Result<ValType> toValType(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32:
      return ValType::I32;
    case wabt::Type::I64:
      return ValType::I64;
    case wabt::Type::F32:
      return ValType::F32;
    case wabt::Type::F64:
      return ValType::F64;
    case wabt::Type::FuncRef:
      return ValType::FuncRef;
    case wabt::Type::ExternRef:
      return ValType::ExternRef;
    default:
      return fail("unsupported value type ", t.GetName());
  }
}

Result<std::vector<ValType>> toValTypes(const wabt::TypeVector& types) {
  std::vector<ValType> out;
  for (auto t : types) {
    auto v = toValType(t);
    if (!v) return std::unexpected(v.error());
    out.push_back(*v);
  }
  return out;
}

Limits toLimits(const wabt::Limits& l) {
  Limits out;
  out.initial = l.initial;
  if (l.has_max) out.max = l.max;
  return out;
}

SegmentMode toMode(wabt::SegmentKind k) {
  switch (k) {
    case wabt::SegmentKind::Active:
      return SegmentMode::Active;
    case wabt::SegmentKind::Passive:
      return SegmentMode::Passive;
    default:
      return SegmentMode::Declared;
  }
}

std::string formatErrors(const char* what, const wabt::Errors& errors) {
  std::string msg = what;
  bool first = true;
  for (const auto& e : errors) {
    msg += first ? ": " : "; ";
    first = false;
    msg += e.message;
    if (e.loc.offset != wabt::kInvalidOffset) {
      std::ostringstream os;
      os << " (at byte offset 0x" << std::hex << e.loc.offset << ")";
      msg += os.str();
    }
  }
  if (first) msg += ": unknown error";
  return msg;
}

void collectDirectCalls(const wabt::ExprList& exprs, std::vector<uint32_t>& out) {
  for (const wabt::Expr& e : exprs) {
    switch (e.type()) {
      case wabt::ExprType::Call:
        out.push_back(wabt::cast<wabt::CallExpr>(&e)->var.index());
        break;
      case wabt::ExprType::Block:
        collectDirectCalls(wabt::cast<wabt::BlockExpr>(&e)->block.exprs, out);
        break;
      case wabt::ExprType::Loop:
        collectDirectCalls(wabt::cast<wabt::LoopExpr>(&e)->block.exprs, out);
        break;
      case wabt::ExprType::If: {
        const auto* i = wabt::cast<wabt::IfExpr>(&e);
        collectDirectCalls(i->true_.exprs, out);
        collectDirectCalls(i->false_, out);
        break;
      }
      default:
        break;
    }
  }
}

Result<ModuleInfo> buildInfo(const wabt::Module& m, size_t size) {
  ModuleInfo info;
  info.codeBytes = size;
  for (const auto* entry : m.types) {
    const auto* ft = wabt::dyn_cast<wabt::FuncType>(entry);
    if (!ft) return fail("unsupported type section entry");
    auto params = toValTypes(ft->sig.param_types);
    if (!params) return std::unexpected(params.error());
    auto results = toValTypes(ft->sig.result_types);
    if (!results) return std::unexpected(results.error());
    info.types.push_back(FuncType{*params, *results});
  }
  for (const auto* func : m.funcs)
    info.funcTypeIndex.push_back(func->decl.type_var.index());
  for (const auto* t : m.tables) {
    auto et = toValType(t->elem_type);
    if (!et) return std::unexpected(et.error());
    info.tables.push_back(TableType{*et, toLimits(t->elem_limits)});
  }
  for (const auto* mem : m.memories) {
    if (mem->page_limits.is_64 || mem->page_limits.is_shared)
      return fail("memory64 and shared memories are not supported");
    info.memories.push_back(MemoryType{toLimits(mem->page_limits)});
  }
  for (const auto* g : m.globals) {
    auto t = toValType(g->type);
    if (!t) return std::unexpected(t.error());
    info.globals.push_back(GlobalType{*t, g->mutable_});
  }
  for (const auto* imp : m.imports) {
    ImportDesc d;
    d.module = imp->module_name;
    d.field = imp->field_name;
    switch (imp->kind()) {
      case wabt::ExternalKind::Func:
        d.kind = ExternKind::Func;
        d.funcTypeIndex = wabt::cast<wabt::FuncImport>(imp)->func.decl.type_var.index();
        ++info.numImportedFuncs;
        break;
      case wabt::ExternalKind::Table:
        d.kind = ExternKind::Table;
        d.table = info.tables[info.numImportedTables++];
        break;
      case wabt::ExternalKind::Memory:
        d.kind = ExternKind::Memory;
        d.memory = info.memories[info.numImportedMemories++];
        break;
      case wabt::ExternalKind::Global:
        d.kind = ExternKind::Global;
        d.global = info.globals[info.numImportedGlobals++];
        break;
      default:
        return fail("unsupported import kind for ", d.displayName());
    }
    info.imports.push_back(std::move(d));
  }
  for (const auto* e : m.exports) {
    ExportDesc d;
    d.name = e->name;
    d.index = e->var.index();
    switch (e->kind) {
      case wabt::ExternalKind::Func:
        d.kind = ExternKind::Func;
        break;
      case wabt::ExternalKind::Table:
        d.kind = ExternKind::Table;
        break;
      case wabt::ExternalKind::Memory:
        d.kind = ExternKind::Memory;
        break;
      case wabt::ExternalKind::Global:
        d.kind = ExternKind::Global;
        break;
      default:
        return fail("unsupported export kind for ", printable(d.name));
    }
    if (d.kind == ExternKind::Func && d.index < m.funcs.size())
      collectDirectCalls(m.funcs[d.index]->exprs, d.directCalls);
    info.exports.push_back(std::move(d));
  }
  if (!m.starts.empty()) info.start = m.starts.front()->index();
  for (const auto* s : m.data_segments)
    info.dataSegments.push_back(
        DataSegmentDesc{toMode(s->kind), s->memory_var.index(), s->data.size()});
  for (const auto* s : m.elem_segments) {
    auto et = toValType(s->elem_type);
    if (!et) return std::unexpected(et.error());
    info.elemSegments.push_back(
        ElemSegmentDesc{toMode(s->kind), s->table_var.index(), *et, s->elem_exprs.size()});
  }
  return info;
}

}  // namespace

DecodedModule::DecodedModule() : ir(std::make_unique<wabt::Module>()) {}
DecodedModule::~DecodedModule() = default;

Result<std::unique_ptr<DecodedModule>> decodeModule(std::span<const uint8_t> wasm) {
  auto out = std::make_unique<DecodedModule>();
  wabt::Features features = engineFeatures();
  wabt::Errors errors;
  if (wasm.size() < 8)
    return fail("malformed module: ", std::to_string(wasm.size()),
                " bytes is too short for a WebAssembly binary (at byte offset 0x0)");
  // Decoding and validation by the reader WABT's spectest-interp uses, which
  // checks everything the specification requires (custom section framing and
  // the name section included).
  if (std::string why; !validateWithReferenceReader(wasm.data(), wasm.size(), &why))
    return fail("invalid module: ", why);
  // The IR for code generation; names are not read, generated ones are used.
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(
          wabt::ReadBinaryIr("module", wasm.data(), wasm.size(), options, &errors, out->ir.get())))
    return fail(formatErrors("malformed module", errors));
  auto info = buildInfo(*out->ir, wasm.size());
  if (!info) return fail("unsupported module: ", info.error().message);
  out->info = std::move(*info);
  return out;
}

Result<ModuleInfo> describeModule(std::span<const uint8_t> wasm) {
  auto decoded = decodeModule(wasm);
  if (!decoded) return std::unexpected(decoded.error());
  return std::move((*decoded)->info);
}

std::string ImportDesc::displayName() const {
  return printable(module) + "." + printable(field);
}

const ExportDesc* ModuleInfo::findExport(std::string_view name) const {
  for (const auto& e : exports)
    if (e.name == name) return &e;
  return nullptr;
}

namespace {
std::string limitsString(const Limits& l) {
  std::string s = std::to_string(l.initial);
  s += l.max ? ".." + std::to_string(*l.max) : "..";
  return s;
}
}  // namespace

std::string formatModuleInfo(const ModuleInfo& info) {
  std::ostringstream os;
  os << "size: " << info.codeBytes << " bytes\n";
  os << "types: " << info.types.size() << "\n";
  os << "functions: " << info.funcTypeIndex.size() << " (" << info.numImportedFuncs
     << " imported)\n";
  os << "imports: " << info.imports.size() << "\n";
  for (const auto& i : info.imports) {
    os << "  " << externKindName(i.kind) << " " << i.displayName();
    if (i.kind == ExternKind::Func) os << " " << funcTypeString(info.types[i.funcTypeIndex]);
    if (i.kind == ExternKind::Global)
      os << " " << (i.global.isMutable ? "mut " : "") << valTypeName(i.global.type);
    if (i.kind == ExternKind::Memory) os << " pages " << limitsString(i.memory.limits);
    if (i.kind == ExternKind::Table)
      os << " " << valTypeName(i.table.elemType) << " " << limitsString(i.table.limits);
    os << "\n";
  }
  os << "exports: " << info.exports.size() << "\n";
  for (const auto& e : info.exports) {
    os << "  " << externKindName(e.kind) << " " << printable(e.name);
    if (e.kind == ExternKind::Func) os << " " << funcTypeString(info.funcType(e.index));
    os << "\n";
  }
  os << "memories: " << info.memories.size() << "\n";
  for (const auto& m : info.memories)
    os << "  pages " << limitsString(m.limits) << "\n";
  os << "tables: " << info.tables.size() << "\n";
  for (const auto& t : info.tables)
    os << "  " << valTypeName(t.elemType) << " " << limitsString(t.limits) << "\n";
  os << "globals: " << info.globals.size() << " (" << info.numImportedGlobals << " imported)\n";
  for (size_t i = 0; i < info.globals.size(); ++i)
    os << "  " << i << ": " << (info.globals[i].isMutable ? "mut " : "")
       << valTypeName(info.globals[i].type) << "\n";
  os << "start: " << (info.start ? std::to_string(*info.start) : std::string("none")) << "\n";
  size_t passiveData = 0, passiveElem = 0;
  for (const auto& d : info.dataSegments)
    passiveData += d.mode != SegmentMode::Active;
  for (const auto& e : info.elemSegments)
    passiveElem += e.mode != SegmentMode::Active;
  os << "data segments: " << info.dataSegments.size() << " (" << passiveData << " passive)\n";
  os << "elem segments: " << info.elemSegments.size() << " (" << passiveElem
     << " passive or declared)\n";
  return os.str();
}

}  // namespace nearfaas::wasm
