// Example WASI program: counts the words of its standard input with libc++
// containers and prints the most frequent ones. Built for wasm32-wasi and run
// by `nearfaas run` in the demo.
#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  size_t top = argc > 1 ? static_cast<size_t>(std::stoul(argv[1])) : 5;
  std::map<std::string, unsigned> counts;
  std::string word;
  while (std::cin >> word)
    ++counts[word];
  std::vector<std::pair<std::string, unsigned>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (size_t i = 0; i < std::min(top, sorted.size()); ++i)
    std::cout << sorted[i].first << '\t' << sorted[i].second << '\n';
  return 0;
}
