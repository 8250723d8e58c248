import { ModelportError } from './modelport-error.js';

export class NotFoundError extends ModelportError {
  constructor(what: string, id: string) {
    super('not_found', `${what} '${id}' does not exist`, { details: { what, id } });
  }
}
