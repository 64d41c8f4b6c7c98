// Prints the declared vocabulary as JSON, for scripts/gen_observations_doc.py (which writes
// docs/observations.md from it and checks the protocol pages against it).
//
//   ww_vocabulary FILE...    FILE: a parser file's name without .cpp (dhcp, dns, ...)
#include <nlohmann/json.hpp>

#include <iostream>

#include "agent/pipeline/pipeline.hpp"

namespace {

nlohmann::ordered_json facts_json(std::span<const ww::FactDecl> facts) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ww::FactDecl& f : facts) {
    out.push_back({{"key", f.key},
                   {"type", ww::fact_type_name(f.type)},
                   {"about", f.about},
                   {"from", f.from},
                   {"example", f.example}});
  }
  return out;
}

nlohmann::ordered_json anomalies_json(std::span<const ww::AnomalyDecl> anomalies) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ww::AnomalyDecl& a : anomalies) out.push_back({{"name", a.name}, {"description", a.description}});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (int i = 1; i < argc; ++i) {
    const ww::ParserRegistry registry = ww::make_registry_for_file(argv[i]);
    const ww::Vocabulary vocabulary = registry.vocabulary();
    nlohmann::ordered_json parsers = nlohmann::ordered_json::array();
    for (const auto& owned : vocabulary.owners()) {
      parsers.push_back({{"name", owned.owner}, {"facts", facts_json(owned.facts)},
                         {"anomalies", anomalies_json(owned.anomalies)}});
    }
    if (parsers.empty()) {
      std::cerr << "ww_vocabulary: " << argv[i] << ": no parser registered by that file\n";
      return 1;
    }
    files.push_back({{"file", argv[i]}, {"parsers", std::move(parsers)}});
  }
  nlohmann::ordered_json pipeline = {{"name", "pipeline"}, {"facts", nlohmann::ordered_json::array()},
                                     {"anomalies", anomalies_json(ww::pipeline_anomalies())}};
  files.push_back({{"file", "pipeline"}, {"parsers", nlohmann::ordered_json::array({pipeline})}});
  std::cout << files.dump(1) << '\n';
  return 0;
}
