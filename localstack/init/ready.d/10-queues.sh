#!/bin/bash
# LocalStack READY hook: the SQS queues of the pipeline.
#   market-data-history      VisibilityTimeout 180 s, redrive to the DLQ after 5 receives
#   market-data-history-dlq  14 days retention
# Idempotent: existing queues are kept and their attributes set again.
set -euo pipefail

if [[ "${MDC_CREATE_QUEUES:-1}" != "1" ]]; then
  echo "10-queues.sh: MDC_CREATE_QUEUES=${MDC_CREATE_QUEUES}, nothing to do"
  exit 0
fi

export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
queue_name="market-data-history"
dlq_name="${queue_name}-dlq"

# Prints the URL of queue $1, creating the queue when it does not exist.
ensure_queue() {
  local name=$1 url
  if ! url=$(awslocal sqs get-queue-url --queue-name "$name" --query QueueUrl --output text 2>/dev/null); then
    url=$(awslocal sqs create-queue --queue-name "$name" --query QueueUrl --output text)
  fi
  printf '%s\n' "$url"
}

dlq_url=$(ensure_queue "$dlq_name")
awslocal sqs set-queue-attributes --queue-url "$dlq_url" \
  --attributes MessageRetentionPeriod=1209600
dlq_arn=$(awslocal sqs get-queue-attributes --queue-url "$dlq_url" \
  --attribute-names QueueArn --query Attributes.QueueArn --output text)

queue_url=$(ensure_queue "$queue_name")
# RedrivePolicy is a JSON document passed as a string attribute value.
attributes=$(printf '{"VisibilityTimeout":"180","RedrivePolicy":"{\\"deadLetterTargetArn\\":\\"%s\\",\\"maxReceiveCount\\":\\"5\\"}"}' "$dlq_arn")
awslocal sqs set-queue-attributes --queue-url "$queue_url" --attributes "$attributes"

echo "10-queues.sh: ${queue_url} -> ${dlq_arn}"
