/*
 * ndp/pcakmm: principal component analysis, then k-means, over a numeric
 * matrix object. The parsing and the projection run next to the data if the
 * runtime offloads them; only the projected points come back.
 *
 * Input:  "<key> <P> <K>": the matrix object, the number of principal
 *         components kept (P, 1..64, at most the matrix's columns) and of
 *         clusters (K, 1..256, at most its rows). Single spaces.
 * Matrix: text, one row a line ('\n'; a trailing '\r' and empty lines are
 *         ignored), values separated by spaces, tabs or commas, each a decimal
 *         number as strtod reads it (finite); every row has the same number
 *         of columns D (1..1024), there are at least 2 rows, and at most
 *         2^24 values in all.
 * Method: in double precision (Eigen 3.4, Debian libeigen3-dev, without
 *         vectorisation). The columns are centred on their means; the
 *         covariance C = X'X / (rows - 1) is decomposed by
 *         SelfAdjointEigenSolver; the P eigenvectors of the largest
 *         eigenvalues, largest first, each with the sign that makes its
 *         largest-magnitude entry (the first such) positive, project the rows
 *         to P coordinates. k-means (Lloyd) on the projected rows: the first
 *         centre is row 1, each further one the row farthest (squared
 *         Euclidean distance) from its nearest centre so far (the first such
 *         row); then assign each row to its nearest centre (the lowest index
 *         on ties) and move each centre to its rows' mean (a centre without
 *         rows stays), until no assignment changes or after 100 rounds.
 *         Eigenvectors of equal eigenvalues are not unique: such a matrix has
 *         no single answer.
 * Output: first "pcakmm <rows> rows <D> columns <P> components <K> clusters
 *         <R> rounds\n", then one line per cluster in the order of their
 *         initial centres: "<size> <c1> ... <cP>\n", the cluster's number of
 *         rows and its centre, each coordinate printed "%.4f" (-0.0000
 *         printed as 0.0000). Returns 0.
 * Errors: input not as above -> output "FAILED - usage: pcakmm with input
 *           'key COMPONENTS CLUSTERS'", returns 0;
 *         missing or empty object -> output
 *           "FAILED - no object found with the given key", returns 1;
 *         a matrix not as above -> output "FAILED - <what is wrong>" (e.g.
 *           "FAILED - row 3 has 2 columns, row 1 has 3"), returns 3.
 *
 * NDP: project runs through __faasmndp_storageCallAndAwait (no arguments;
 * globals in and out). It maps the whole object, leaves the rows x P
 * projection in a global and wipes the full matrix before freeing it. The
 * k-means runs in main, on the caller.
 */
#include "faasm/faasm.h"

#include "ndp_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#define EIGEN_DONT_VECTORIZE 1
#define EIGEN_DONT_PARALLELIZE 1
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Weverything"
#include <Eigen/Dense>
#pragma clang diagnostic pop

namespace {

using ndp::setOutput;

constexpr long kMaxColumns = 1024, kMaxComponents = 64, kMaxClusters = 256;
constexpr int kMaxRounds = 100;
constexpr size_t kMaxValues = size_t{1} << 24;  // 128 MiB of doubles

// In: set by main for project.
std::string_view matrixKey;
int components = 0, clusters = 0;
// Out: the projected rows and the matrix's shape.
Eigen::MatrixXd projected;
long matrixColumns = 0;

bool isSeparator(char c) {
  return c == ' ' || c == '\t' || c == ',';
}

// Parses the matrix text into row-major `values`, setting rows and columns;
// an error message, or "".
std::string parseMatrix(std::string_view text, std::vector<double>* values, long* rows,
                        long* columns) {
  *rows = 0;
  *columns = 0;
  std::string number;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    long row = *rows + 1, n = 0;
    for (size_t i = 0; i < line.size();) {
      while (i < line.size() && isSeparator(line[i]))
        ++i;
      if (i == line.size()) break;
      size_t start = i;
      while (i < line.size() && !isSeparator(line[i]))
        ++i;
      number.assign(line.substr(start, i - start));
      char* parsedEnd = nullptr;
      double v = strtod(number.c_str(), &parsedEnd);
      if (parsedEnd != number.c_str() + number.size() || !isfinite(v))
        return "row " + std::to_string(row) + " has a value that is not a finite number";
      if (++n > kMaxColumns)
        return "row " + std::to_string(row) + " has more than " + std::to_string(kMaxColumns) +
               " columns";
      if (values->size() >= kMaxValues)
        return "the matrix has more than " + std::to_string(kMaxValues) + " values";
      values->push_back(v);
    }
    if (n == 0) continue;  // only separators
    if (*rows == 0) *columns = n;
    if (n != *columns)
      return "row " + std::to_string(row) + " has " + std::to_string(n) + " columns, row 1 has " +
             std::to_string(*columns);
    ++*rows;
  }
  if (*rows < 2) return "the matrix has fewer than 2 rows";
  if (components > *columns)
    return "the matrix has " + std::to_string(*columns) + " columns, fewer than " +
           std::to_string(components) + " components";
  if (clusters > *rows)
    return "the matrix has " + std::to_string(*rows) + " rows, fewer than " +
           std::to_string(clusters) + " clusters";
  return "";
}

double squaredDistance(const Eigen::MatrixXd& points, long row, const Eigen::MatrixXd& centres,
                       long centre) {
  return (points.row(row) - centres.row(centre)).squaredNorm();
}

long nearestCentre(const Eigen::MatrixXd& points, long row, const Eigen::MatrixXd& centres) {
  long best = 0;
  double bestDistance = squaredDistance(points, row, centres, 0);
  for (long c = 1; c < centres.rows(); ++c) {
    double d = squaredDistance(points, row, centres, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

void appendCoordinate(std::string* out, double v) {
  char text[64];
  snprintf(text, sizeof text, "%.4f", v);
  if (std::string_view(text) == "-0.0000") snprintf(text, sizeof text, "0.0000");
  *out += text;
}

}  // namespace

// Runs near the object: parses the matrix and projects its rows onto the
// principal components (into `projected`).
int project() {
  uint32_t len = 0;
  uint8_t* data = ndp::mapObject(matrixKey, &len);
  if (data == nullptr) return 1;
  // Reserved whole (each value takes at least 2 bytes of text): the buffers
  // a growing vector leaves behind would travel back with the result.
  std::vector<double> values;
  values.reserve(std::min<size_t>(len / 2 + 1, kMaxValues));
  long rows = 0;
  std::string error = parseMatrix(std::string_view(reinterpret_cast<const char*>(data), len),
                                  &values, &rows, &matrixColumns);
  __faasmndp_unmap(data, static_cast<int32_t>(len));
  if (!error.empty()) {
    setOutput("FAILED - " + error);
    ndp::wipe(values.data(), values.size() * sizeof(double));
    return 3;
  }
  Eigen::MatrixXd x =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          values.data(), rows, matrixColumns);
  ndp::wipe(values.data(), values.size() * sizeof(double));
  values = std::vector<double>();
  Eigen::RowVectorXd means = x.colwise().mean();
  x.rowwise() -= means;
  Eigen::MatrixXd covariance = (x.transpose() * x) / static_cast<double>(rows - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
  // Eigenvalues ascend: the last columns are the largest components.
  Eigen::MatrixXd basis(matrixColumns, components);
  for (int p = 0; p < components; ++p) {
    Eigen::VectorXd v = solver.eigenvectors().col(matrixColumns - 1 - p);
    Eigen::Index largest = 0;
    for (Eigen::Index i = 1; i < v.size(); ++i)
      if (fabs(v(i)) > fabs(v(largest))) largest = i;
    if (v(largest) < 0) v = -v;
    basis.col(p) = v;
  }
  projected = x * basis;
  ndp::wipe(x.data(), static_cast<size_t>(x.size()) * sizeof(double));
  return 0;
}

int main(int, char*[]) {
  std::string input = ndp::readInput();
  std::vector<std::string_view> parts = ndp::splitSpaces(input);
  long p = -1, k = -1;
  if (parts.size() == 3 && !parts[0].empty()) {
    p = ndp::parseNumber(parts[1], 1, kMaxComponents);
    k = ndp::parseNumber(parts[2], 1, kMaxClusters);
  }
  if (p < 0 || k < 0) {
    setOutput("FAILED - usage: pcakmm with input 'key COMPONENTS CLUSTERS'");
    return 0;
  }
  matrixKey = parts[0];
  components = static_cast<int>(p);
  clusters = static_cast<int>(k);
  projected.resize(0, 0);
  int rc = __faasmndp_storageCallAndAwait(matrixKey.data(), static_cast<uint32_t>(matrixKey.size()),
                                          project);
  if (rc != 0) return rc;

  // k-means on the projected rows (see the header).
  const long rows = projected.rows();
  Eigen::MatrixXd centres(clusters, components);
  centres.row(0) = projected.row(0);
  Eigen::VectorXd nearest(rows);
  for (long r = 0; r < rows; ++r)
    nearest(r) = squaredDistance(projected, r, centres, 0);
  for (long c = 1; c < clusters; ++c) {
    long farthest = 0;
    for (long r = 1; r < rows; ++r)
      if (nearest(r) > nearest(farthest)) farthest = r;
    centres.row(c) = projected.row(farthest);
    for (long r = 0; r < rows; ++r)
      nearest(r) = fmin(nearest(r), squaredDistance(projected, r, centres, c));
  }
  std::vector<long> assignment(static_cast<size_t>(rows), -1);
  std::vector<long> sizes(static_cast<size_t>(clusters), 0);
  int rounds = 0;
  for (bool changed = true; changed && rounds < kMaxRounds; ++rounds) {
    changed = false;
    for (long r = 0; r < rows; ++r) {
      long c = nearestCentre(projected, r, centres);
      if (c != assignment[static_cast<size_t>(r)]) {
        assignment[static_cast<size_t>(r)] = c;
        changed = true;
      }
    }
    Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(clusters, components);
    sizes.assign(static_cast<size_t>(clusters), 0);
    for (long r = 0; r < rows; ++r) {
      long c = assignment[static_cast<size_t>(r)];
      sums.row(c) += projected.row(r);
      ++sizes[static_cast<size_t>(c)];
    }
    for (long c = 0; c < clusters; ++c)
      if (sizes[static_cast<size_t>(c)] > 0)
        centres.row(c) = sums.row(c) / static_cast<double>(sizes[static_cast<size_t>(c)]);
  }

  std::string output = "pcakmm " + std::to_string(rows) + " rows " + std::to_string(matrixColumns) +
                       " columns " + std::to_string(components) + " components " +
                       std::to_string(clusters) + " clusters " + std::to_string(rounds) +
                       " rounds\n";
  for (long c = 0; c < clusters; ++c) {
    output += std::to_string(sizes[static_cast<size_t>(c)]);
    for (int d = 0; d < components; ++d) {
      output += ' ';
      appendCoordinate(&output, centres(c, d));
    }
    output += '\n';
  }
  setOutput(output);
  return 0;
}
