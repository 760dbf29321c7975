/*
 * faasm/counter: upstream Faasm's counter helpers (faasm/counter.h) and
 * AsyncArray (faasm/array.h) over state shared by the user's calls.
 *
 * Input, one of:
 *   "reset"     sets the counter (state "atomic_counter") to 0 and zeroes the
 *               4-int array "faasm_counter_hits". Output: "0".
 *   "add <n>"   adds n to the counter under its write lock (AtomicInt +=),
 *               and 1 to element (n mod 4) of the array (pushed partially).
 *               Output: "<counter> [<a0> <a1> <a2> <a3>]" after the change.
 * Example: "reset", "add 2", "add 5" output "0", "2 [0 0 1 0]",
 *          "7 [0 1 1 0]".
 * Errors: anything else outputs "FAILED - usage: reset | add <n>", returns 1.
 */
#include <faasm/array.h>
#include <faasm/counter.h>
#include <faasm/faasm.h>
#include <faasm/input.h>

#include <stdlib.h>

#include <string>

static const char* kHits = "faasm_counter_hits";
static constexpr int kSlots = 4;

int main(int, char*[]) {
  std::string input = faasm::getStringInput("");
  faasm::AtomicInt counter;
  faasm::AsyncArray<int> hits(kHits, kSlots);

  if (input == "reset") {
    counter.reset();
    hits.zero();
    faasmSetOutput("0", 1);
    return 0;
  }
  if (input.rfind("add ", 0) != 0) {
    std::string usage = "FAILED - usage: reset | add <n>";
    faasmSetOutput(usage.c_str(), usage.size());
    return 1;
  }

  int n = atoi(input.c_str() + 4);
  int value = (counter += n);

  hits.pull();
  hits[((n % kSlots) + kSlots) % kSlots] += 1;
  hits.push();

  std::string output = std::to_string(value) + " [";
  for (int i = 0; i < kSlots; i++)
    output += (i ? " " : "") + std::to_string(hits.data()[i]);
  output += "]";
  faasmSetOutput(output.c_str(), output.size());
  return 0;
}
