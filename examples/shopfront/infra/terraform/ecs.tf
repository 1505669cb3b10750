resource "aws_ecr_repository" "api" {
  name                 = "shopfront-api"
  image_tag_mutability = "IMMUTABLE"
}

resource "aws_ecs_service" "api" {
  name            = "shopfront-api"
  cluster         = var.cluster_id
  task_definition = var.api_task_definition_arn
  desired_count   = 2
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = var.private_subnet_ids
    security_groups = [aws_security_group.api.id]
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = "api"
    container_port   = 3000
  }
}

resource "aws_iam_role_policy" "api_uploads" {
  name = "api-uploads"
  role = "shopfront-api-task"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:*"]
        Resource = "*"
      }
    ]
  })
}
