/* bench/http_noop: does nothing and returns 0, with empty output. The HTTP
 * benchmark calls it to measure the cost of an invoke round trip itself. */
int main(void) {
  return 0;
}
