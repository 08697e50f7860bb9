/** An error answered on the wire as AWS does: HTTP 400 with `{ "__type": name, "message" }`. */
export class AwsError extends Error {
  readonly status: number;
  /** Members of the error's body besides `__type` and `message` (DynamoDB's `ThrottlingReasons`). */
  readonly fields: Record<string, unknown>;
  constructor(name: string, message: string, status = 400, fields: Record<string, unknown> = {}) {
    super(message);
    this.name = name;
    this.status = status;
    this.fields = fields;
  }
}
