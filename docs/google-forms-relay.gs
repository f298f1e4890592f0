/**
 * deme relay for Google Forms: posts each response to deme's webhook, signed.
 *
 * Install (see docs/google-forms.md): paste this file into the form's Apps Script
 * project (or the linked sheet's), set the script properties DEME_WEBHOOK_URL and
 * DEME_WEBHOOK_SECRET, then add an installable "On form submit" trigger on onFormSubmit.
 *
 * Header: X-Gforms-Signature: t=<unix seconds>,v1=<base64 HMAC-SHA256(secret, "<t>." + body)>.
 * deme rejects a signature more than 300 s away from its clock.
 */

function onFormSubmit(e) {
  var body = e.response ? formResponseBody_(e) : sheetRowBody_(e);
  post_(JSON.stringify(body));
}

// Form-bound trigger: e.response is a FormResponse.
function formResponseBody_(e) {
  var response = e.response;
  var answers = response.getItemResponses().map(function (item) {
    return { title: item.getItem().getTitle(), value: item.getResponse() };
  });
  return {
    formId: FormApp.getActiveForm().getId(),
    responseId: response.getId(),
    submittedAt: response.getTimestamp().toISOString(),
    respondentEmail: response.getRespondentEmail() || "",
    answers: answers,
  };
}

// Sheet-bound trigger: e.namedValues maps each question title to its texts.
function sheetRowBody_(e) {
  var sheet = e.range.getSheet();
  return {
    spreadsheetId: sheet.getParent().getId(),
    sheetName: sheet.getName(),
    row: e.range.getRow(),
    submittedAt: new Date().toISOString(),
    namedValues: e.namedValues,
  };
}

function post_(body) {
  var properties = PropertiesService.getScriptProperties();
  var url = properties.getProperty("DEME_WEBHOOK_URL");
  var secret = properties.getProperty("DEME_WEBHOOK_SECRET");
  var timestamp = Math.floor(Date.now() / 1000).toString();
  var signature = Utilities.base64Encode(
    Utilities.computeHmacSha256Signature(timestamp + "." + body, secret, Utilities.Charset.UTF_8)
  );
  var options = {
    method: "post",
    contentType: "application/json",
    // Sent as UTF-8 bytes, the bytes that were signed.
    payload: Utilities.newBlob(body, "application/json").getBytes(),
    headers: { "X-Gforms-Signature": "t=" + timestamp + ",v1=" + signature },
    muteHttpExceptions: true,
  };
  // UrlFetchApp does not retry: try three times, then fail the trigger, which e-mails
  // the trigger's owner with the error.
  for (var attempt = 1; attempt <= 3; attempt++) {
    var answer = UrlFetchApp.fetch(url, options);
    if (answer.getResponseCode() === 200) {
      return;
    }
    if (answer.getResponseCode() < 500 && answer.getResponseCode() !== 429) {
      break;
    }
    Utilities.sleep(2000 * attempt);
  }
  throw new Error("deme webhook answered " + answer.getResponseCode() + ": " + answer.getContentText());
}
