#include "wasm/host_registry.h"

namespace nearfaas::wasm {

namespace detail {

void recordHostException() noexcept {
  try {
    throw;
  } catch (const HostTrap& t) {
    setPendingTrap(t.kind, t.what(), t.exitCode);
  } catch (const std::exception& e) {
    setPendingTrap(TrapKind::Host, e.what());
  } catch (...) {
    setPendingTrap(TrapKind::Host, "unknown exception in host function");
  }
}

}  // namespace detail

std::string HostRegistry::key(std::string_view module, std::string_view field) {
  std::string k = std::to_string(module.size());
  k += ':';
  k += module;
  k += field;
  return k;
}

void HostRegistry::add(const std::string& module, const std::string& field, HostFunc func) {
  funcs_[key(module, field)] = std::move(func);
}

std::vector<std::string> HostRegistry::fields(std::string_view module) const {
  // Keys are "<module length>:<module><field>", so one module's keys share a prefix.
  std::string prefix = key(module, "");
  std::vector<std::string> out;
  for (auto it = funcs_.lower_bound(prefix); it != funcs_.end() && it->first.starts_with(prefix);
       ++it)
    out.push_back(it->first.substr(prefix.size()));
  return out;
}

const HostFunc* HostRegistry::find(std::string_view module, std::string_view field) const {
  auto it = funcs_.find(key(module, field));
  return it == funcs_.end() ? nullptr : &it->second;
}

Result<void> HostRegistry::checkImports(const ModuleInfo& info) const {
  for (const auto& imp : info.imports) {
    std::string name = imp.displayName();
    if (imp.kind != ExternKind::Func)
      return fail("module imports ", externKindName(imp.kind), " ", name,
                  ", which the host does not provide (only functions are)");
    const HostFunc* f = find(imp.module, imp.field);
    if (!f) return fail("module imports function ", name, ", which the host does not provide");
    const FuncType& want = info.types[imp.funcTypeIndex];
    if (!(f->type == want))
      return fail("module imports function ", name, " with type ", funcTypeString(want),
                  ", but the host provides ", funcTypeString(f->type));
  }
  return {};
}

}  // namespace nearfaas::wasm
