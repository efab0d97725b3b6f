/* libFuzzer target for xml_to_json(): any bytes as an answer body. What
 * converts is printed (every string must be valid for cJSON) and fed on to
 * the DynamoDB helpers, which take arbitrary cJSON trees and so are
 * exercised on odd shapes for free. Must never crash, hang
 * or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "uvaws.h"
#include "xml_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char why[96];
  cJSON *j = xml_to_json((const char *)data, size, why, sizeof why);
  if (j == NULL)
    return 0;
  free(cJSON_PrintUnformatted(j));

  cJSON *item = uvaws_ddb_to_item(j);
  cJSON *back = uvaws_ddb_from_item(item);
  cJSON_Delete(back);
  cJSON_Delete(item);
  cJSON_Delete(uvaws_ddb_from_item(j));
  cJSON_Delete(j);
  return 0;
}
