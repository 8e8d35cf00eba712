/**
 * The part of `@aws-sdk/client-sqs` that sqs-queue.ts uses, declared until the package is a dependency in
 * package.json (version aligned with the other `@aws-sdk/client-*` packages). Delete this file when it is.
 */
declare module '@aws-sdk/client-sqs' {
  export interface SendMessageBatchRequestEntry {
    Id: string;
    MessageBody: string;
  }
  export interface SendMessageBatchCommandInput {
    QueueUrl: string;
    Entries: SendMessageBatchRequestEntry[];
  }
  export interface BatchResultErrorEntry {
    Id?: string;
    SenderFault?: boolean;
    Code?: string;
    Message?: string;
  }
  export interface SendMessageBatchCommandOutput {
    Successful?: { Id?: string; MessageId?: string }[];
    Failed?: BatchResultErrorEntry[];
  }
  export class SendMessageBatchCommand {
    constructor(input: SendMessageBatchCommandInput);
    readonly input: SendMessageBatchCommandInput;
  }
  export class SQSClient {
    constructor(config: object);
    readonly middlewareStack: { add: (...args: never[]) => void };
    send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput>;
  }
}
